package io.llmswarm.cli;

import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.LayerChooser;
import io.llmswarm.cluster.ShardAnnouncement;
import io.llmswarm.cluster.SwarmCluster;
import io.llmswarm.coordinator.Coordinator;
import io.llmswarm.coordinator.CoordinatorVerticle;
import io.llmswarm.coordinator.NodeHealth;
import io.llmswarm.coordinator.PipelineStateStore;
import io.llmswarm.engine.KvCache;
import io.llmswarm.engine.LayerRange;
import io.llmswarm.gateway.GatewayVerticle;
import io.llmswarm.gateway.ServedModel;
import io.llmswarm.tokenizer.ChatTemplate;
import io.llmswarm.engine.ModelConfig;
import io.llmswarm.engine.ModelShard;
import io.llmswarm.engine.ShardEngine;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.gguf.TensorInfo;
import io.llmswarm.llamacpp.LlamaCppModel;
import io.llmswarm.replica.ReplicaService;
import io.llmswarm.replica.ReplicaVerticle;
import io.llmswarm.shard.ShardService;
import io.llmswarm.shard.ShardVerticle;
import io.llmswarm.tokenizer.Tokenizer;
import io.llmswarm.tokenizer.Vocabulary;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A swarm node put together: joins the cluster, claims its layers (given, or chosen with
 * {@code --layers auto} from what the swarm already holds), loads them, and deploys its shard and
 * its coordinator. Every node holds the model file, so every node can tokenize and coordinate.
 */
public final class SwarmNode {

    private final SwarmCluster cluster;
    private final Parts parts;
    private final Coordinator coordinator;
    private final ShardAnnouncement claimed;
    /** Whether the node chose its layers ({@code --layers auto}), and so may give back layers to later nodes. */
    private final boolean autoLayers;
    private static final Logger LOG = LoggerFactory.getLogger(SwarmNode.class);
    /**
     * How long a draining node must have had nothing to do before it leaves: a route planned on a
     * view that did not show its not-ready announcement yet may still bring a first step.
     */
    private static final Duration DRAIN_QUIET = Duration.ofSeconds(2);
    private final GatewayVerticle gateway;
    private volatile VerticleBase served;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * What a node runs: a Java engine and its shard service, or (with {@code --backend llamacpp}) a
     * llama.cpp replica of the whole model; the file stays open for the node's life.
     */
    private record Parts(GgufFile file, ShardEngine engine, ShardService shard, ReplicaService replica) {
    }

    private SwarmNode(SwarmCluster cluster, Parts parts, Coordinator coordinator,
                      ShardAnnouncement claimed, ChatTemplate chatTemplate, NodeSettings settings) {
        this.cluster = cluster;
        this.gateway = new GatewayVerticle(coordinator, new ServedModel(claimed.model().name(), chatTemplate),
                settings.httpPort(), cluster.metrics(), settings.gateway());
        this.parts = parts;
        this.coordinator = coordinator;
        this.claimed = claimed;
        this.autoLayers = settings.autoLayers();
    }

    /** Joins, loads and deploys; completes when the shard is announced ready. */
    public static Future<SwarmNode> start(NodeSettings given) {
        NodeSettings settings;
        try {
            // Before joining: a node that cannot serve HTTP should not join the swarm and leave again.
            settings = given.httpPort() == 0 ? given : given.withHttpPort(freeHttpPort(given));
        } catch (IllegalStateException e) {
            return Future.failedFuture(e);
        }
        SecurityWarnings.of(settings).forEach(System.err::println);
        return SwarmCluster.join(settings.cluster()).compose(cluster -> cluster.vertx()
                .executeBlocking(() -> load(cluster, settings))
                .compose(node -> node.deploy().map(node))
                .recover(e -> {
                    cluster.vertx().close();
                    return Future.failedFuture(e);
                }));
    }

    /**
     * The first HTTP port of the node's range that is free on its host (a node started without
     * {@code --http-port} beside another takes the next one); a port given exactly must be free.
     */
    static int freeHttpPort(NodeSettings settings) {
        String host = settings.gateway().host();
        for (int port = settings.httpPort(); port < settings.httpPort() + settings.httpPortCount(); port++) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress(host, port));
                return port;
            } catch (IOException taken) {
                // next
            }
        }
        if (settings.httpPortCount() == 1) {
            throw new IllegalStateException("the HTTP gateway cannot listen on " + host + ":" + settings.httpPort()
                    + ": the port is taken (--http-host, --http-port; 0 picks a free one)");
        }
        throw new IllegalStateException("HTTP ports " + settings.httpPort() + "-" + (settings.httpPort()
                + settings.httpPortCount() - 1) + " are all taken on " + host + ": give one with --http-port");
    }

    private static SwarmNode load(SwarmCluster cluster, NodeSettings settings) {
        GgufFile file = GgufFile.open(settings.model());
        try {
            ModelConfig config = ModelConfig.from(file);
            Tokenizer tokenizer = Tokenizer.of(Vocabulary.fromGguf(file.metadata()));
            String fingerprint = file.fingerprint();
            ShardAnnouncement.ModelIdentity model = new ShardAnnouncement.ModelIdentity(fingerprint,
                    modelName(file, settings.model()), config.blockCount());
            String nodeId = cluster.nodeId();
            ShardAnnouncement claimed;
            Parts parts;
            if (settings.backend().isLlamaCpp()) {
                if (!settings.autoLayers()) {
                    throw new IllegalArgumentException("a llamacpp replica holds the whole model: leave out --layers "
                            + "(got " + settings.layers() + ")");
                }
                BackendSettings backend = settings.backend();
                LlamaCppModel llama = LlamaCppModel.load(settings.model(),
                        new LlamaCppModel.Options(settings.threads(), backend.contextSize(), backend.parallel()));
                int limit = llama.options().parallel(); // a file loaded before keeps its slots
                claimed = new ShardAnnouncement(nodeId, model, new LayerRange(0, config.blockCount() - 1),
                        ShardAnnouncement.LLAMACPP_BACKEND, Addresses.replicaGenerate(nodeId), limit, 0, false,
                        llama.options().threads());
                parts = new Parts(file, null, null, new ReplicaService(llama, limit));
            } else {
                claimed = cluster.announcements().claim(fingerprint, config.blockCount(), view -> {
                    LayerRange layers = settings.autoLayers()
                            ? LayerChooser.choose(view, capacity(file, config, settings.memoryBytes()))
                            : LayerRange.parse(settings.layers()).checkWithin(config.blockCount());
                    return new ShardAnnouncement(nodeId, model, layers, ShardAnnouncement.JAVA_BACKEND,
                            Addresses.shardExecute(nodeId), 0, 0, false, settings.threads());
                });
                ModelShard modelShard = ModelShard.load(file, claimed.layers(), loaded -> { });
                long kvBytes = settings.kvCacheBudget();
                ShardEngine engine = new ShardEngine(modelShard, new ShardEngine.Options(settings.threads(), settings.engineBatch(), kvBytes));
                // Before the node says it is ready: the first steps then run compiled kernels.
                engine.warmUp();
                parts = new Parts(file, engine, new ShardService(nodeId, engine, tokenizer::isEndOfGeneration,
                        new ShardService.Settings(ShardService.Settings.defaults().maxSessions(),
                                settings.resilience().sessionIdleTimeout(), settings.promptCacheEntries())), null);
            }
            Resilience resilience = settings.resilience();
            Coordinator coordinator = new Coordinator(cluster.vertx(),
                    new Coordinator.ModelInfo(fingerprint, new Coordinator.ModelInfo.Shape(config.blockCount(),
                            config.contextLength(), config.embeddingLength(), config.vocabularySize()), tokenizer),
                    new Coordinator.Wiring(nodeId, cluster.announcements(),
                            new PipelineStateStore(cluster.hazelcast(), settings.resilience().pipelineStateTtl())),
                    Coordinator.Settings.defaults().withStepTimeout(resilience.stepTimeout())
                            .withEncoding(resilience.hiddenEncoding())
                            .withMaxFailovers(resilience.maxFailovers())
                            .withHealth(new NodeHealth.Settings(NodeHealth.Settings.defaults().failuresToOpen(),
                                    resilience.circuitOpenFor())));
            coordinator.faults().bindTo(cluster.metrics());
            return new SwarmNode(cluster, parts, coordinator, claimed, ChatTemplate.forModel(file.metadata(), tokenizer, model.name()),
                    settings);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private Future<?> deploy() {
        VerticleBase served;
        if (parts.replica() != null) {
            served = new ReplicaVerticle(parts.replica(), cluster.announcements(), claimed);
        } else {
            ShardVerticle shard = new ShardVerticle(parts.shard(), cluster.announcements(), claimed, cluster.metrics());
            if (autoLayers) {
                shard.adaptLayers(coordinator::status); // gives its back layers to later nodes, takes them back when they leave
            }
            served = shard;
        }
        this.served = served;
        return cluster.vertx().deployVerticle(served)
                .compose(ignored -> cluster.vertx().deployVerticle(new CoordinatorVerticle(coordinator)))
                .compose(ignored -> cluster.vertx().deployVerticle(gateway));
    }

    /** What a node can hold: its memory against one layer's weights plus one full-context KV cache. */
    static LayerChooser.Capacity capacity(GgufFile file, ModelConfig config, long memoryBytes) {
        long layerBytes = 0;
        long fixedBytes = 0;
        for (TensorInfo info : file.tensors().values()) {
            if (info.name().startsWith("blk.0.")) {
                layerBytes += info.byteSize();
            } else if (!info.name().startsWith("blk.")) {
                fixedBytes += info.byteSize();
            }
        }
        long kvPerLayer = KvCache.bytesFor(1, config.kvDim(), config.contextLength());
        return new LayerChooser.Capacity(memoryBytes, layerBytes + kvPerLayer, fixedBytes);
    }

    private static String modelName(GgufFile file, Path path) {
        return file.metadata().findString("general.name").orElse(path.getFileName().toString());
    }

    public SwarmCluster cluster() {
        return cluster;
    }

    public String nodeId() {
        return cluster.nodeId();
    }

    public LayerRange layers() {
        return claimed.layers();
    }

    /** The node's shard service; null on a llama.cpp replica. */
    public ShardService shard() {
        return parts.shard();
    }

    /** The node's llama.cpp replica; null on a Java shard. */
    public ReplicaService replica() {
        return parts.replica();
    }

    public Coordinator coordinator() {
        return coordinator;
    }

    /** The {@code host:port} the node's cluster member bound. */
    public String clusterAddress() {
        return cluster.address();
    }

    /** The port the node's HTTP gateway listens on (the bound one when settings asked for 0). */
    public int httpPort() {
        return gateway.boundPort();
    }

    /**
     * A planned stop's first half: the node announces itself not ready (no new route comes here),
     * turns {@code /ready} to 503 and refuses new generations with 503 and Retry-After, and goes on
     * serving the sessions its shard holds and the requests it coordinates until they have all
     * ended or {@code timeout} passes, logging what is left. Blocks: not on an event loop.
     *
     * @return true when everything ended, false when the timeout passed first
     */
    public boolean drain(Duration timeout) throws InterruptedException {
        gateway.drain();
        Future<Void> announced = switch (served) {
            case ShardVerticle shard -> shard.drain();
            case ReplicaVerticle replica -> replica.drain();
            case null, default -> Future.succeededFuture();
        };
        try {
            announced.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("draining: the swarm was not told at once that this node stops: {}", e.toString());
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        long nextLog = 0;
        long idleSince = -1;
        while (true) {
            // Sessions open, and steps that arrived but wait for a worker thread (they open sessions).
            int sessions = parts.shard() != null
                    ? parts.shard().sessionCount() + (served instanceof ShardVerticle shard ? shard.pendingSteps() : 0)
                    : parts.replica().load();
            int requests = coordinator.runningCount();
            long now = System.nanoTime();
            if (sessions == 0 && requests == 0) {
                // Idle for a moment, not an instant: a route planned just before the swarm saw the
                // announcement may have its first step on the way here.
                if (idleSince < 0) {
                    idleSince = now;
                } else if (now - idleSince >= DRAIN_QUIET.toNanos()) {
                    LOG.info("drained: no session or request left");
                    return true;
                }
            } else {
                idleSince = -1;
            }
            if (now - deadline > 0) {
                LOG.warn("drain timeout ({} s) passed with {} sessions and {} requests left: leaving now",
                        timeout.toSeconds(), sessions, requests);
                return false;
            }
            if (now - nextLog > 0) {
                LOG.info("draining: {} sessions, {} requests left", sessions, requests);
                nextLog = now + TimeUnit.SECONDS.toNanos(2);
            }
            Thread.sleep(100);
        }
    }

    /**
     * The other models this node's cluster serves (name and fingerprint, one line each): a node
     * whose model differs from the swarm's serves alone, and says so.
     */
    public List<String> otherModels() {
        return cluster.announcements().all().stream().map(ShardAnnouncement::model)
                .filter(m -> !m.fingerprint().equals(claimed.model().fingerprint())).distinct()
                .map(m -> m.name() + " (fingerprint " + m.fingerprint() + ")").toList();
    }

    /** What {@code POST /admin/drain} on this node's gateway starts (the command's planned stop). */
    public void onStopRequest(Runnable stop) {
        gateway.onStopRequest(stop);
    }

    /** Withdraws the announcement, leaves the cluster, frees the model. Blocks: not on an event loop. Idempotent. */
    public void close(Duration timeout) throws Exception {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            cluster.close(timeout);
        } finally {
            if (parts.engine() != null) {
                parts.engine().close();
            } else {
                parts.file().close();
            }
        }
    }
}
