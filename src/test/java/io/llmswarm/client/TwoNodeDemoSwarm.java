package io.llmswarm.client;

import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.coordinator.SwarmTestModel;
import io.llmswarm.engine.ShardEngine;
import io.llmswarm.inference.BundledModel;
import io.llmswarm.inference.GenerationRequest;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The shipped demo model served by two nodes in this JVM (layers 0-3 and 4-7, on loopback), and
 * the single-process engine on the same file: the reference a swarm's greedy answers must equal.
 */
public final class TwoNodeDemoSwarm implements AutoCloseable {

    /** The source documents' question, which the node puts into the demo model's chat template. */
    public static final String QUESTION = "What is artificial intelligence?";
    /** The demo model's training format (Zephyr / TinyLlama), written as plain prompt text (send it raw). */
    public static final String QUESTION_PROMPT = "<|user|>\nWhat is artificial intelligence?</s>\n<|assistant|>\n";
    /** The gloss WordNet gives, which the demo model learned. */
    public static final String GLOSS_START = "the branch of computer science";

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final List<SwarmNode> nodes = new ArrayList<>();
    private LocalModel engine;

    private TwoNodeDemoSwarm() {
    }

    public static TwoNodeDemoSwarm start() throws Exception {
        TwoNodeDemoSwarm swarm = new TwoNodeDemoSwarm();
        try {
            SwarmTestModel.startNodes(BundledModel.path(), swarm.nodes, "0-3", "4-7");
            for (SwarmNode node : swarm.nodes) {
                TestClusters.awaitTrue(WAIT, () -> node.coordinator().status().isReady(),
                        () -> "readiness on " + node.nodeId());
            }
            swarm.engine = LocalModel.load(BundledModel.path(), new ShardEngine.Options(1, 64, 16L << 20), layers -> { });
            return swarm;
        } catch (Exception | Error e) {
            swarm.close();
            throw e;
        }
    }

    public List<SwarmNode> nodes() {
        return nodes;
    }

    public String url(int node) {
        return "http://127.0.0.1:" + nodes.get(node).httpPort();
    }

    public LocalModel engine() {
        return engine;
    }

    /** The engine's greedy token ids for prompt text whose control-token text is parsed as control tokens. */
    public int[] greedyTokens(String prompt, int maxTokens) {
        int[] tokens = engine.tokenizer().encode(prompt, true, true);
        return engine.generator().generate("reference", new GenerationRequest(tokens, maxTokens,
                SamplingConfig.greedy(), false), token -> true).tokens();
    }

    @Override
    public void close() throws Exception {
        for (SwarmNode node : nodes) {
            node.close(Duration.ofSeconds(10));
        }
        if (engine != null) {
            engine.close();
        }
    }
}
