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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A shard that leaves in the middle of a generation: the coordinator routes around it through a
 * replica, replays the token history, and the stream goes on with exactly the single-process
 * tokens, none dropped or repeated.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class FailOverTest {

    @TempDir
    Path dir;

    @Test
    void aShardLostMidStreamIsReplacedByAReplicaWithoutLosingATokenRepeated() throws Exception {
        loseAShardMidStream(SamplingConfig.greedy());
    }

    /** The new last shard's sampler skips the draws the lost one had taken: the seeded sequence goes on. */
    @Test
    void aSeededStreamGoesOnWithTheSameDrawsAfterAFailOver() throws Exception {
        loseAShardMidStream(SamplingConfig.defaults(42));
    }

    private void loseAShardMidStream(SamplingConfig sampling) throws Exception {
        Path model = SwarmTestModel.write(dir, 8);
        GenerationResult expected;
        try (LocalModel local = SwarmTestModel.local(model)) {
            expected = SwarmTestModel.generate(local, "Once upon a time", 30, sampling, true);
        }
        String[] layers = {"0-3", "4-7", "4-7"};
        List<SwarmNode> nodes = new ArrayList<>();
        try {
            SwarmTestModel.startNodes(model, nodes, layers);
            SwarmNode head = nodes.getFirst();
            TestClusters.awaitTrue(Duration.ofSeconds(30), () -> head.coordinator().status().readyShards().size() == 3,
                    () -> "three ready shards: " + head.coordinator().status().toJson());
            Coordinator coordinator = new Coordinator(head.cluster().vertx(), head.coordinator().model(),
                    new Coordinator.Wiring(head.nodeId(), head.cluster().announcements(), null),
                    Coordinator.Settings.defaults().withStepTimeout(Duration.ofSeconds(5)));
            List<Incident> incidents = new CopyOnWriteArrayList<>();
            coordinator.watch(incidents::add);

            AtomicReference<CompletableFuture<String>> killed = new AtomicReference<>();
            List<Integer> streamed = new ArrayList<>();
            GenerationOutcome outcome = coordinator.generate(GenerateRequest.text("Once upon a time", 30,
                    new SamplingParams(sampling, true, 0)), token -> {
                        streamed.add(token.id());
                        if (token.index() == 9) {
                            // The replica that holds this session leaves, on another thread (closing blocks).
                            SwarmNode serving = nodes.get(1).shard().sessionCount() > 0 ? nodes.get(1) : nodes.get(2);
                            killed.set(CompletableFuture.supplyAsync(() -> {
                                try {
                                    serving.close(Duration.ofSeconds(20));
                                } catch (Exception e) {
                                    throw new IllegalStateException(e);
                                }
                                return serving.nodeId();
                            }));
                        }
                    }).outcome().await(60, TimeUnit.SECONDS);
            String gone = killed.get().get(30, TimeUnit.SECONDS);
            nodes.removeIf(n -> n.nodeId().equals(gone));

            assertArrayEquals(expected.tokens(), outcome.tokenIds(), "route now " + outcome.route());
            assertEquals(expected.tokens().length, streamed.size(), "each token streamed once");
            assertFalse(outcome.route().contains(gone), outcome.route());
            assertTrue(outcome.timings().shards().size() > 2, "timings of both routes: " + outcome.timings());
            List<Incident.FailOver> failOvers = incidents.stream().filter(Incident.FailOver.class::isInstance)
                    .map(Incident.FailOver.class::cast).toList();
            assertFalse(failOvers.isEmpty(), "the fail-over is told to watchers: " + incidents);
            assertTrue(failOvers.getFirst().reason().contains(gone), failOvers.getFirst().reason());
            assertEquals(1, failOvers.getFirst().attempt());
            assertEquals(outcome.route(), failOvers.getLast().route(), "the route it moved to");
        } finally {
            for (SwarmNode node : nodes) {
                node.close(Duration.ofSeconds(10));
            }
        }
    }
}
