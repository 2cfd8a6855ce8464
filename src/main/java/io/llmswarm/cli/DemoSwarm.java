package io.llmswarm.cli;

import io.llmswarm.cluster.ClusterSettings;
import io.llmswarm.cluster.LoopbackPorts;
import io.llmswarm.gateway.ApiKeys;
import io.llmswarm.gateway.GatewayLimits;
import io.llmswarm.gateway.GatewaySettings;
import io.llmswarm.engine.LayerRange;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.engine.ModelConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A whole swarm in one process: the model's layers split into equal spans, one {@link SwarmNode}
 * per span, each with its own clustered Vert.x instance and Hazelcast member on loopback (a
 * cluster name of its own, so it never joins another swarm). The first node's gateway listens on
 * the port asked for; the others on free ports.
 */
public final class DemoSwarm implements AutoCloseable {

    /** What to start: the model, how many shard nodes, the first node's HTTP port, kernel threads per node. */
    public record Plan(Path model, int nodes, int httpPort, int threads) {
        public Plan {
            if (nodes < 1) {
                throw new IllegalArgumentException("--nodes must be at least 1; got " + nodes);
            }
            if (threads < 1) {
                throw new IllegalArgumentException("--threads must be at least 1; got " + threads);
            }
        }
    }

    private static final String HOST = "127.0.0.1";
    private static final long NODE_MEMORY = Runtime.getRuntime().maxMemory();

    private final List<SwarmNode> nodes;

    private DemoSwarm(List<SwarmNode> nodes) {
        this.nodes = List.copyOf(nodes);
    }

    /** Starts every node in turn and returns once all are loaded and announced. Blocks. */
    public static DemoSwarm start(Plan plan) throws Exception {
        List<LayerRange> spans = LayerRange.split(blockCount(plan.model()), plan.nodes());
        List<Integer> ports = LoopbackPorts.free(spans.size());
        List<String> members = ports.stream().map(port -> HOST + ":" + port).toList();
        String clusterName = "llm-swarm-demo-" + UUID.randomUUID();
        List<SwarmNode> started = new ArrayList<>();
        try {
            for (int i = 0; i < spans.size(); i++) {
                ClusterSettings cluster = new ClusterSettings(clusterName, HOST, ports.get(i), members, false, false);
                // Everything on loopback: the demo is for this machine (no API key, no cluster secret).
                NodeSettings settings = new NodeSettings(plan.model(), spans.get(i).toString(), cluster,
                        i == 0 ? plan.httpPort() : 0, plan.threads(), NODE_MEMORY)
                        .withGateway(new GatewaySettings(HOST, ApiKeys.none(), GatewayLimits.defaults()));
                started.add(SwarmNode.start(settings).await(10, TimeUnit.MINUTES));
            }
        } catch (Exception e) {
            new DemoSwarm(started).close();
            throw e;
        }
        return new DemoSwarm(started);
    }

    private static int blockCount(Path model) {
        try (GgufFile file = GgufFile.open(model)) {
            return ModelConfig.from(file).blockCount();
        }
    }

    public List<SwarmNode> nodes() {
        return nodes;
    }

    /** The gateway users are pointed at: the first node's. */
    public String url() {
        return "http://" + HOST + ":" + nodes.getFirst().httpPort() + "/";
    }

    /**
     * Lets the answers that are running finish: every node drains at once (see
     * {@link SwarmNode#drain}), for up to {@code timeout}. Blocks.
     */
    public void drain(Duration timeout) throws InterruptedException {
        List<Thread> drains = nodes.stream().map(node -> Thread.ofPlatform().start(() -> {
            try {
                node.drain(timeout);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })).toList();
        for (Thread drain : drains) {
            drain.join();
        }
    }

    /** Stops every node, last first. Blocks. */
    @Override
    public void close() throws Exception {
        Exception first = null;
        for (SwarmNode node : nodes.reversed()) {
            try {
                node.close(Duration.ofSeconds(20));
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
