package io.llmswarm.cli;

import io.llmswarm.cluster.LayerChooser;
import io.llmswarm.cluster.SamplingParams;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.coordinator.GenerateRequest;
import io.llmswarm.coordinator.GenerationOutcome;
import io.llmswarm.coordinator.SwarmTestModel;
import io.llmswarm.coordinator.TokenListener;
import io.llmswarm.engine.LayerRange;
import io.llmswarm.engine.ModelConfig;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.inference.GenerationResult;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code --layers auto}: two nodes started together, each with memory for half the layers, split
 * the model between them (the claim lock keeps them from taking the same half); a third with
 * memory for everything takes the back half of the first node's span, which then announces only
 * its front half, and announces it all again when the third leaves.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class AutoLayersTest {

    @TempDir
    Path dir;

    @Test
    void nodesStartedTogetherSplitTheModelAndALaterOneSplitsItFurther() throws Exception {
        Path model = SwarmTestModel.write(dir, 8);
        long halfTheLayers;
        try (GgufFile file = GgufFile.open(model)) {
            LayerChooser.Capacity capacity = SwarmNode.capacity(file, ModelConfig.from(file), 1);
            halfTheLayers = capacity.fixedBytes() + 4 * capacity.bytesPerLayer() + 1;
        }
        TestClusters cluster = new TestClusters(3);
        List<SwarmNode> nodes = new ArrayList<>();
        try {
            List<Future<SwarmNode>> starts = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                starts.add(SwarmNode.start(new NodeSettings(model, NodeSettings.AUTO, cluster.member(i), 0, 1, halfTheLayers)));
            }
            for (Future<SwarmNode> start : starts) {
                nodes.add(start.await(60, TimeUnit.SECONDS));
            }
            List<LayerRange> taken = nodes.stream().map(SwarmNode::layers)
                    .sorted(Comparator.comparingInt(LayerRange::first)).toList();
            assertEquals(List.of(new LayerRange(0, 3), new LayerRange(4, 7)), taken);

            SwarmNode third = SwarmNode.start(new NodeSettings(model, NodeSettings.AUTO, cluster.member(2), 0, 1,
                    1L << 30)).await(60, TimeUnit.SECONDS);
            nodes.add(third);
            assertEquals(new LayerRange(2, 3), third.layers(), "the back half of the first node's 0-3");
            SwarmNode front = nodes.stream().filter(n -> n.layers().first() == 0).findFirst().orElseThrow();
            TestClusters.awaitTrue(Duration.ofSeconds(30), () -> announced(third).equals("0-1,2-3,4-7"),
                    () -> "the first node to announce 0-1: " + announced(third));

            GenerationResult expected;
            try (LocalModel local = SwarmTestModel.local(model)) {
                expected = SwarmTestModel.generate(local, "Once upon a time", 10, SamplingConfig.greedy(), true);
            }
            GenerationOutcome outcome = third.coordinator().generate(GenerateRequest.text("Once upon a time", 10,
                    new SamplingParams(SamplingConfig.greedy(), true, 0)), TokenListener.none())
                    .outcome().await(60, TimeUnit.SECONDS);
            assertArrayEquals(expected.tokens(), outcome.tokenIds());
            assertEquals(3, outcome.timings().shards().size(), "three hops: " + outcome.route());

            // The third leaves: the first node, which kept layers 2-3 loaded, announces them again.
            nodes.remove(third);
            third.close(Duration.ofSeconds(10));
            TestClusters.awaitTrue(Duration.ofSeconds(30), () -> announced(front).equals("0-3,4-7"),
                    () -> "the first node to announce 0-3 again: " + announced(front));
            GenerationOutcome again = front.coordinator().generate(GenerateRequest.text("Once upon a time", 10,
                    new SamplingParams(SamplingConfig.greedy(), true, 0)), TokenListener.none())
                    .outcome().await(60, TimeUnit.SECONDS);
            assertArrayEquals(expected.tokens(), again.tokenIds());
        } finally {
            for (SwarmNode node : nodes) {
                node.close(Duration.ofSeconds(10));
            }
        }
    }

    /** The layers the ready nodes announce, as {@code node} sees them, in order. */
    private static String announced(SwarmNode node) {
        return String.join(",", node.coordinator().status().readyShards().stream()
                .map(shard -> shard.layers().toString()).sorted(Comparator.comparingInt(r -> Integer.parseInt(r.split("-")[0])))
                .toList());
    }
}
