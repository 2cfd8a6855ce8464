package io.llmswarm.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.config.DiscoveryStrategyConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.HazelcastInstance;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A clustered Vert.x instance on a Hazelcast member, with the swarm's codecs registered and the
 * announcement registry open. The node id is the Hazelcast member id, which is what membership
 * events name, so a lost member's announcement can be found and removed.
 */
public final class SwarmCluster {

    private static final Duration DATA_MEMBER_WAIT = Duration.ofSeconds(30);
    private static final Duration RESYNC = Duration.ofSeconds(10);

    private final Vertx vertx;
    private final HazelcastClusterManager clusterManager;
    private final AnnouncementRegistry announcements;
    private final String nodeId;

    private final PrometheusMeterRegistry metrics;

    private SwarmCluster(Vertx vertx, HazelcastClusterManager clusterManager, AnnouncementRegistry announcements,
                         PrometheusMeterRegistry metrics) {
        this.vertx = vertx;
        this.metrics = metrics;
        this.clusterManager = clusterManager;
        this.announcements = announcements;
        this.nodeId = clusterManager.getHazelcastInstance().getCluster().getLocalMember().getUuid().toString();
    }

    /** Starts Vert.x clustered with these settings; completes once the member has joined. */
    public static Future<SwarmCluster> join(ClusterSettings settings) {
        HazelcastClusterManager manager = new HazelcastClusterManager(hazelcastConfig(settings));
        VertxOptions options = new VertxOptions();
        // One event loop avoids handing each message from one loop thread to another (DESIGN.md).
        options.setEventLoopPoolSize(Integer.getInteger("llmswarm.event-loops", 1));
        // How long an event-loop task may run before Vert.x warns that the loop is blocked (Vert.x's
        // default 2 s); the tests lower it, and fail on the warning.
        Long maxEventLoopMillis = Long.getLong("llmswarm.max-event-loop-ms");
        if (maxEventLoopMillis != null) {
            options.setMaxEventLoopExecuteTime(maxEventLoopMillis).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS);
        }
        options.getEventBusOptions().setHost(settings.host()).setPort(0);
        ClusterSecurity security = settings.security();
        if (security.tlsEnabled()) {
            security.tls().applyTo(options.getEventBusOptions());
        }
        // A registry per node, not Micrometer's global one: tests run several nodes in one JVM.
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Vert.x keeps backends by registry name: a name per node keeps each node's meters in its own registry.
        options.setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(false)
                .setRegistryName("llmswarm-" + UUID.randomUUID()));
        return Vertx.builder().with(options).withClusterManager(manager)
                .withMetrics(new MicrometerMetricsFactory(metrics)).buildClustered().compose(vertx -> {
            SwarmCodecs.register(vertx, security.secret());
            return vertx.executeBlocking(() -> {
                        awaitDataMember(manager.getHazelcastInstance(), settings);
                        return AnnouncementRegistry.open(manager.getHazelcastInstance(), security.secret());
                    })
                    .map(registry -> {
                        // Heals a mirror that missed an event; cheap, as the map is small.
                        vertx.setPeriodic(RESYNC.toMillis(), id -> vertx.executeBlocking(() -> {
                            if (manager.getHazelcastInstance().getLifecycleService().isRunning()) {
                                registry.resync();
                            }
                            return null;
                        }));
                        return new SwarmCluster(vertx, manager, registry, metrics);
                    });
        });
    }

    /** A lite member holds no map data: it can read the swarm only once a full member is there. */
    private static void awaitDataMember(HazelcastInstance hazelcast, ClusterSettings settings) throws InterruptedException {
        long deadline = System.nanoTime() + DATA_MEMBER_WAIT.toNanos();
        while (hazelcast.getCluster().getMembers().stream().allMatch(Member::isLiteMember)) {
            if (System.nanoTime() > deadline) {
                hazelcast.shutdown();
                throw new IllegalStateException("no swarm node answered at " + settings.members() + " within "
                        + DATA_MEMBER_WAIT.toSeconds() + " s: a lite member needs at least one node in cluster "
                        + settings.name());
            }
            Thread.sleep(100);
        }
    }

    /** Where nodes announce themselves on the LAN ({@link LanBeacon}). */
    static final String MULTICAST_GROUP = "224.2.2.3";
    static final int MULTICAST_PORT = 54327;

    static Config hazelcastConfig(ClusterSettings settings) {
        Config config = ConfigUtil.loadConfig();
        // Members with another secret (or none) get another name: they never join this cluster.
        config.setClusterName(settings.security().secret().hazelcastClusterName(settings.name()));
        config.setLiteMember(settings.liteMember());
        config.setProperty("hazelcast.phone.home.enabled", "false");
        // Pipeline states expire after their TTL; by default Hazelcast removes only a tenth of the
        // expired entries per 5-second pass, so thousands of them would linger on the heap.
        config.setProperty("hazelcast.internal.map.expiration.cleanup.percentage", "100");
        config.setProperty("hazelcast.socket.bind.any", "false");
        // Notice a killed member within seconds rather than the default minute.
        config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        config.setProperty("hazelcast.max.no.heartbeat.seconds", "8");
        NetworkConfig network = config.getNetworkConfig();
        network.setPort(settings.port()).setPortCount(settings.portCount()).setPortAutoIncrement(settings.portCount() > 1);
        network.getInterfaces().setEnabled(true).addInterface(settings.host());
        JoinConfig join = network.getJoin();
        join.getAutoDetectionConfig().setEnabled(false);
        join.getMulticastConfig().setEnabled(false);
        List<String> members = new ArrayList<>(settings.contacts());
        if (!members.contains(settings.self())) {
            members.add(settings.self());
        }
        if (settings.multicast() && settings.members().isEmpty()) {
            // Both at once: the ports of this host's range (nodes on this machine) and multicast
            // beacons (nodes on the LAN); Hazelcast's TCP/IP and multicast joins exclude each other.
            join.getTcpIpConfig().setEnabled(false);
            config.setProperty("hazelcast.discovery.enabled", "true");
            join.getDiscoveryConfig().addDiscoveryStrategyConfig(new DiscoveryStrategyConfig(new PortRangeDiscovery(),
                    Map.of(PortRangeDiscovery.CANDIDATES.key(), String.join(",", members))));
            join.getDiscoveryConfig().addDiscoveryStrategyConfig(new DiscoveryStrategyConfig(new LanBeacon(),
                    Map.of(LanBeacon.GROUP.key(), MULTICAST_GROUP, LanBeacon.PORT.key(), String.valueOf(MULTICAST_PORT),
                            LanBeacon.TAG.key(), config.getClusterName())));
        } else {
            join.getTcpIpConfig().setEnabled(true).setMembers(members);
        }
        return config;
    }

    /** The {@code host:port} this member bound (the first free one of its range). */
    public String address() {
        var address = clusterManager.getHazelcastInstance().getCluster().getLocalMember().getAddress();
        return address.getHost() + ":" + address.getPort();
    }

    /** This node's Prometheus registry: Vert.x's own HTTP and event-bus meters, and the gateway's. */
    public PrometheusMeterRegistry metrics() {
        return metrics;
    }

    public Vertx vertx() {
        return vertx;
    }

    /**
     * This member's id, the key of its announcement: the Hazelcast member id, which membership
     * events name (Vert.x's own node id is a different UUID).
     */
    public String nodeId() {
        return nodeId;
    }

    public HazelcastInstance hazelcast() {
        return clusterManager.getHazelcastInstance();
    }

    public AnnouncementRegistry announcements() {
        return announcements;
    }

    /**
     * Undeploys the verticles (the shard withdraws its announcement), leaves the cluster and closes
     * Vert.x. Blocks: call it from a plain thread, never an event loop.
     */
    public void close(Duration timeout) throws Exception {
        try {
            announcements.close();
        } finally {
            vertx.close().await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
    }
}
