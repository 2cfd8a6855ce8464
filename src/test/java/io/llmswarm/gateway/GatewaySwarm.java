package io.llmswarm.gateway;

import io.llmswarm.cli.NodeSettings;
import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.coordinator.SwarmTestModel;
import io.llmswarm.inference.BundledModel;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The gateway tests' swarm, as a JUnit extension on a static field
 * ({@code @RegisterExtension static final GatewaySwarm swarm = GatewaySwarm.ready();}): before the
 * class's tests, two clustered nodes start in this JVM, on loopback, serving layers 0-3 and 4-7 of
 * an 8-layer model (written to a temporary directory) or of the shipped demo model, each with its
 * gateway (HTTP API and event-bus bridge) on a free port; after them, everything is closed. A test
 * class may start the first half alone, to see a swarm that is not ready, and the second later.
 */
final class GatewaySwarm implements BeforeAllCallback, AfterAllCallback {

    static final Duration WAIT = Duration.ofSeconds(30);
    private static final String[] HALVES = {"0-3", "4-7"};

    private final Function<Path, Path> modelIn;
    private final List<GatewaySettings> gateways;
    private final boolean bothHalves;
    private final List<SwarmNode> nodes = new ArrayList<>();
    private final Map<Integer, TestHttp> httpByPort = new HashMap<>();
    private Path dir;
    private Path model;
    private TestClusters cluster;
    private Vertx clientVertx;
    private ShardStepGate stepGate;

    /** {@code modelIn} gives the model file, given a temporary directory it may write it to. */
    private GatewaySwarm(Function<Path, Path> modelIn, GatewaySettings gateway, boolean bothHalves) {
        this(modelIn, List.of(gateway, gateway), bothHalves);
    }

    private GatewaySwarm(Function<Path, Path> modelIn, List<GatewaySettings> gateways, boolean bothHalves) {
        this.modelIn = modelIn;
        this.gateways = List.copyOf(gateways);
        this.bothHalves = bothHalves;
    }

    /** Both nodes of the 8-layer test model, ready, node 0's gateway set up with {@code first}, node 1's with {@code second}. */
    static GatewaySwarm ready(GatewaySettings first, GatewaySettings second) {
        return new GatewaySwarm(dir -> SwarmTestModel.write(dir, 8), List.of(first, second), true);
    }

    /** Both nodes of the 8-layer test model, ready, with the gateway's defaults. */
    static GatewaySwarm ready() {
        return ready(GatewaySettings.defaults());
    }

    /** Both nodes of the 8-layer test model, ready, their gateways set up with {@code gateway} (keys, limits). */
    static GatewaySwarm ready(GatewaySettings gateway) {
        return new GatewaySwarm(dir -> SwarmTestModel.write(dir, 8), gateway, true);
    }

    /** Both nodes of the shipped demo model, ready. */
    static GatewaySwarm readyWithDemoModel() {
        return new GatewaySwarm(dir -> BundledModel.path(), GatewaySettings.defaults(), true);
    }

    /** The node of layers 0-3 of the test model alone: the swarm lacks 4-7 until {@link #startSecondHalf()}. */
    static GatewaySwarm firstHalf() {
        return new GatewaySwarm(dir -> SwarmTestModel.write(dir, 8), GatewaySettings.defaults(), false);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("gateway-swarm");
        model = modelIn.apply(dir);
        cluster = new TestClusters(HALVES.length);
        startNext();
        if (bothHalves) {
            startSecondHalf();
        }
    }

    private void startNext() throws Exception {
        int i = nodes.size();
        nodes.add(SwarmNode.start(new NodeSettings(model, HALVES[i], cluster.member(i), 0, 1, 1L << 30)
                .withGateway(gateways.get(i))).await(60, TimeUnit.SECONDS));
    }

    /** Starts the node of layers 4-7 and waits until every node sees the swarm ready. */
    void startSecondHalf() throws Exception {
        startNext();
        for (SwarmNode node : nodes) {
            TestClusters.awaitTrue(WAIT, () -> node.coordinator().status().isReady(), () -> "readiness on " + node.nodeId());
        }
    }

    /** Stops the node of layers 4-7 (the swarm is no longer ready). */
    void stopSecondHalf() throws Exception {
        nodes.removeLast().close(Duration.ofSeconds(10));
    }

    Path model() {
        return model;
    }

    List<SwarmNode> nodes() {
        return nodes;
    }

    SwarmNode node(int i) {
        return nodes.get(i);
    }

    /** An HTTP client for node {@code i}'s gateway. */
    TestHttp http(int i) {
        return httpByPort.computeIfAbsent(nodes.get(i).httpPort(), TestHttp::new);
    }

    /** A new event-bus bridge connection to node {@code i}; the caller closes it. */
    BridgeClient bridge(int i) throws Exception {
        return bridge(i, null);
    }

    /** A new event-bus bridge connection to node {@code i} with {@code apiKey}; the caller closes it. */
    BridgeClient bridge(int i, String apiKey) throws Exception {
        if (clientVertx == null) {
            clientVertx = Vertx.vertx();
        }
        return BridgeClient.connect(clientVertx, nodes.get(i).httpPort(), apiKey);
    }

    /** A gate on the shard steps the nodes receive, holding those of node 0 (layers 0-3) when asked; installed on first use. */
    ShardStepGate stepGate() {
        if (stepGate == null) {
            stepGate = ShardStepGate.install(nodes, nodes.getFirst());
        }
        return stepGate;
    }

    /** Waits until no shard of the swarm holds a session. */
    void awaitNoSessions() {
        for (SwarmNode node : nodes) {
            TestClusters.awaitTrue(WAIT, () -> node.shard().sessionCount() == 0,
                    () -> "sessions to close on " + node.layers() + ": " + node.shard().sessionCount());
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (stepGate != null) {
            stepGate.close(); // no step stays held while the nodes close
        }
        for (SwarmNode node : nodes) {
            node.close(Duration.ofSeconds(10));
        }
        if (clientVertx != null) {
            clientVertx.close().await(10, TimeUnit.SECONDS);
        }
        if (dir != null) {
            deleteRecursively(dir);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
