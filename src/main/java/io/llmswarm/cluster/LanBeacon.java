package io.llmswarm.cluster;

import com.hazelcast.cluster.Address;
import com.hazelcast.config.properties.PropertyDefinition;
import com.hazelcast.config.properties.PropertyTypeConverter;
import com.hazelcast.config.properties.SimplePropertyDefinition;
import com.hazelcast.logging.ILogger;
import com.hazelcast.spi.discovery.AbstractDiscoveryStrategy;
import com.hazelcast.spi.discovery.DiscoveryNode;
import com.hazelcast.spi.discovery.DiscoveryStrategy;
import com.hazelcast.spi.discovery.DiscoveryStrategyFactory;
import com.hazelcast.spi.discovery.SimpleDiscoveryNode;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.NetworkInterface;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Finds nodes on the LAN: every node sends a one-line UDP multicast beacon each second,
 * {@code llmswarm-beacon 1 TAG HOST PORT} (its cluster member address), and collects the beacons of
 * the others that carry the same tag; Hazelcast then joins them over TCP as usual. The tag is the
 * swarm's Hazelcast cluster name (derived from the cluster name and, with a secret, from the
 * secret), so swarms with other names or secrets ignore each other; the beacon says nothing else
 * (no model, no prompt). Addresses are IP literals only (no name look-ups), a malformed beacon is
 * dropped, and a peer not heard for {@link #FORGET_AFTER_MS} is forgotten. Written for this project
 * because Hazelcast's own multicast discovery strategy hands over one heard node per call, and its
 * multicast join cannot run beside the TCP/IP list of this machine's ports.
 */
public final class LanBeacon implements DiscoveryStrategyFactory {

    static final PropertyDefinition GROUP = new SimplePropertyDefinition("group", PropertyTypeConverter.STRING);
    static final PropertyDefinition PORT = new SimplePropertyDefinition("port", PropertyTypeConverter.INTEGER);
    static final PropertyDefinition TAG = new SimplePropertyDefinition("tag", PropertyTypeConverter.STRING);
    static final String MAGIC = "llmswarm-beacon";
    static final long FORGET_AFTER_MS = 30_000;
    /** How long a starting member listens for beacons before it joins (they come every second). */
    static final long LISTEN_FIRST_MS = 2_500;
    private static final int MAX_BEACON_BYTES = 512;

    @Override
    public Class<? extends DiscoveryStrategy> getDiscoveryStrategyType() {
        return Strategy.class;
    }

    @Override
    public DiscoveryStrategy newDiscoveryStrategy(DiscoveryNode node, ILogger logger, Map<String, Comparable> properties) {
        return new Strategy(node, logger, properties);
    }

    @Override
    public Collection<PropertyDefinition> getConfigurationProperties() {
        return List.of(GROUP, PORT, TAG);
    }

    /** The beacon a member at {@code address} sends. */
    static String beacon(String tag, Address address) {
        return MAGIC + " 1 " + tag + " " + address.getHost() + " " + address.getPort();
    }

    /** The member address in a beacon with {@code tag}, or null when it is not one (other swarm, malformed). */
    static Address parse(String tag, String text) {
        String[] parts = text.strip().split(" ");
        if (parts.length != 5 || !parts[0].equals(MAGIC) || !parts[1].equals("1") || !parts[2].equals(tag)) {
            return null;
        }
        try {
            int port = Integer.parseInt(parts[4]);
            if (port < 1 || port > 65535 || !parts[3].matches("[0-9a-fA-F.:]+")) {
                return null;
            }
            return new Address(InetAddress.ofLiteral(parts[3]), port);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static final class Strategy extends AbstractDiscoveryStrategy {

        private final DiscoveryNode self;
        private final String group;
        private final int port;
        private final String tag;
        private final Map<Address, Long> heard = new ConcurrentHashMap<>();
        private volatile boolean running;
        private volatile long startedAt;
        private MulticastSocket socket;
        private Thread sender;
        private Thread receiver;

        Strategy(DiscoveryNode self, ILogger logger, Map<String, Comparable> properties) {
            super(logger, properties);
            this.self = self;
            this.group = getOrDefault(GROUP, "224.2.2.3");
            this.port = getOrDefault(PORT, 54327);
            this.tag = getOrDefault(TAG, "llm-swarm");
        }

        @Override
        public void start() {
            try {
                InetAddress groupAddress = InetAddress.getByName(group);
                socket = new MulticastSocket(null);
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress(port));
                socket.setTimeToLive(4);
                socket.setSoTimeout(1000);
                NetworkInterface nic = self == null ? null
                        : NetworkInterface.getByInetAddress(self.getPrivateAddress().getInetAddress());
                if (nic != null) {
                    socket.setNetworkInterface(nic);
                    socket.joinGroup(new InetSocketAddress(groupAddress, port), nic);
                } else {
                    socket.joinGroup(new InetSocketAddress(groupAddress, port), null);
                }
                running = true;
                startedAt = System.currentTimeMillis();
                receiver = Thread.ofPlatform().daemon().name("llm-swarm-beacon-receiver").start(this::receive);
                if (self != null) {
                    byte[] beacon = beacon(tag, self.getPrivateAddress()).getBytes(StandardCharsets.UTF_8);
                    sender = Thread.ofPlatform().daemon().name("llm-swarm-beacon-sender")
                            .start(() -> send(new DatagramPacket(beacon, beacon.length, groupAddress, port)));
                }
            } catch (IOException e) {
                getLogger().warning("LAN discovery is off: cannot use multicast group " + group + ":" + port + " (" + e
                        + "); nodes on this machine are still found, others with --join");
            }
        }

        private void send(DatagramPacket beacon) {
            while (running) {
                try {
                    socket.send(beacon);
                    TimeUnit.SECONDS.sleep(1);
                } catch (InterruptedException e) {
                    return;
                } catch (IOException e) {
                    if (running) {
                        getLogger().fine("a LAN beacon was not sent: " + e);
                    }
                    sleepQuietly();
                }
            }
        }

        private void receive() {
            byte[] buffer = new byte[MAX_BEACON_BYTES];
            while (running) {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                try {
                    socket.receive(packet);
                } catch (SocketTimeoutException e) {
                    continue;
                } catch (IOException e) {
                    if (running) {
                        sleepQuietly();
                    }
                    continue;
                }
                Address address = parse(tag, new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8));
                if (address != null && (self == null || !address.equals(self.getPrivateAddress()))) {
                    heard.put(address, System.currentTimeMillis());
                }
            }
        }

        private static void sleepQuietly() {
            try {
                TimeUnit.SECONDS.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /**
         * Hazelcast asks once, as the member starts to join: the first answer waits until beacons
         * have had {@link #LISTEN_FIRST_MS} to arrive (they come every second).
         */
        @Override
        public Iterable<DiscoveryNode> discoverNodes() {
            long wait = startedAt + LISTEN_FIRST_MS - System.currentTimeMillis();
            if (running && wait > 0) {
                try {
                    Thread.sleep(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            long now = System.currentTimeMillis();
            heard.values().removeIf(seen -> now - seen > FORGET_AFTER_MS);
            List<DiscoveryNode> nodes = new ArrayList<>();
            heard.keySet().forEach(address -> nodes.add(new SimpleDiscoveryNode(address)));
            return nodes;
        }

        @Override
        public void destroy() {
            running = false;
            if (socket != null) {
                socket.close();
            }
            if (sender != null) {
                sender.interrupt();
            }
        }
    }
}
