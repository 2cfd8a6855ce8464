package io.llmswarm.gateway;

import io.llmswarm.cli.NodeSettings;
import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.coordinator.SwarmTestModel;
import io.vertx.core.Vertx;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The gateway tests' swarm: two clustered nodes in this JVM, on loopback, serving layers 0-3 and
 * 4-7 of an 8-layer model, each with its gateway (HTTP API and event-bus bridge) on a free port. A
 * test may start the first half alone, to see a swarm that is not ready, and the second later.
 */
final class GatewaySwarm implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(30);
    private static final String[] HALVES = {"0-3", "4-7"};

    private final Path model;
    private final GatewaySettings gateway;
    private final TestClusters cluster = new TestClusters(HALVES.length);
    private final List<SwarmNode> nodes = new ArrayList<>();
    private final Map<Integer, TestHttp> httpByPort = new HashMap<>();
    private Vertx clientVertx;

    private GatewaySwarm(Path model, GatewaySettings gateway) {
        this.model = model;
        this.gateway = gateway;
    }

    /** Writes the gateway tests' 8-layer model into {@code dir}. */
    static Path writeTestModel(Path dir) {
        return SwarmTestModel.write(dir, 8);
    }

    /** The node of layers 0-3 alone: the swarm lacks 4-7 until {@link #startSecondHalf()}. */
    static GatewaySwarm firstHalf(Path model) throws Exception {
        GatewaySwarm swarm = new GatewaySwarm(model, GatewaySettings.defaults());
        swarm.startNext();
        return swarm;
    }

    /** Both nodes, ready, with the gateway's defaults. */
    static GatewaySwarm ready(Path model) throws Exception {
        return ready(model, GatewaySettings.defaults());
    }

    /** Both nodes, ready, their gateways set up with {@code gateway} (keys, limits). */
    static GatewaySwarm ready(Path model, GatewaySettings gateway) throws Exception {
        GatewaySwarm swarm = new GatewaySwarm(model, gateway);
        try {
            swarm.startNext();
            swarm.startSecondHalf();
            return swarm;
        } catch (Exception | Error e) {
            swarm.close();
            throw e;
        }
    }

    private void startNext() throws Exception {
        int i = nodes.size();
        nodes.add(SwarmNode.start(new NodeSettings(model, HALVES[i], cluster.member(i), 0, 1, 1L << 30)
                .withGateway(gateway)).await(60, TimeUnit.SECONDS));
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

    /** Waits until no shard of the swarm holds a session. */
    void awaitNoSessions() {
        for (SwarmNode node : nodes) {
            TestClusters.awaitTrue(WAIT, () -> node.shard().sessionCount() == 0,
                    () -> "sessions to close on " + node.layers() + ": " + node.shard().sessionCount());
        }
    }

    @Override
    public void close() throws Exception {
        for (SwarmNode node : nodes) {
            node.close(Duration.ofSeconds(10));
        }
        if (clientVertx != null) {
            clientVertx.close().await(10, TimeUnit.SECONDS);
        }
    }
}
