package io.llmswarm.coordinator;

import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.SamplingParams;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.inference.GenerationResult;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Nodes whose ranges overlap (0-5 and 3-7): the route runs a sub-span of the second node's layers. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SubSpanRouteTest {

    @TempDir
    Path dir;

    @Test
    void overlappingShardsServeTheModelThroughASubSpan() throws Exception {
        Path model = SwarmTestModel.write(dir, 8);
        GenerationResult expected;
        try (LocalModel local = SwarmTestModel.local(model)) {
            expected = SwarmTestModel.generate(local, "Once upon a time", 20, SamplingConfig.greedy(), true);
        }
        String[] layers = {"0-5", "3-7"};
        List<SwarmNode> nodes = new ArrayList<>();
        try {
            SwarmTestModel.startNodes(model, nodes, layers);
            SwarmNode head = nodes.getFirst();
            TestClusters.awaitTrue(Duration.ofSeconds(30), () -> head.coordinator().status().isReady(),
                    () -> "readiness: " + head.coordinator().status().toJson());
            GenerationOutcome outcome = head.coordinator().generate(GenerateRequest.text("Once upon a time", 20,
                    new SamplingParams(SamplingConfig.greedy(), true, 0)), token -> { }).outcome()
                    .await(60, TimeUnit.SECONDS);
            assertArrayEquals(expected.tokens(), outcome.tokenIds(), "route " + outcome.route());
            // 0-5 and 3-7 overlap, so two hops that cover 0-7 must run part of one node's layers.
            assertEquals(2, outcome.route().split(" -> ").length, "route " + outcome.route());
        } finally {
            for (SwarmNode node : nodes) {
                node.close(Duration.ofSeconds(10));
            }
        }
    }
}
