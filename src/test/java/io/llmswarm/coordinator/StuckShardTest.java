package io.llmswarm.coordinator;

import io.llmswarm.cli.NodeSettings;
import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.SamplingParams;
import io.llmswarm.cluster.ShardAnnouncement;
import io.llmswarm.cluster.SwarmCluster;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.engine.LayerRange;
import io.llmswarm.inference.GenerationResult;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A member announces the whole model (so the one-hop route prefers it), takes steps and never
 * passes them on, though it answers the probe (alive, step not finished): the step's deadline
 * passes, the probe names that member, and the request goes on around it with the
 * single-process tokens.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class StuckShardTest {

    @TempDir
    Path dir;

    @Test
    void aStepPastItsDeadlineIsPinnedOnTheHopThatDidNotFinishIt() throws Exception {
        Path model = SwarmTestModel.write(dir, 8);
        GenerationResult expected;
        try (LocalModel local = SwarmTestModel.local(model)) {
            expected = SwarmTestModel.generate(local, "Once upon a time", 12, SamplingConfig.greedy(), true);
        }
        TestClusters cluster = new TestClusters(3);
        List<SwarmNode> nodes = new ArrayList<>();
        SwarmCluster stuck = SwarmCluster.join(cluster.member(2)).await(60, TimeUnit.SECONDS);
        try {
            List<Future<SwarmNode>> starts = List.of(
                    SwarmNode.start(new NodeSettings(model, "0-3", cluster.member(0), 0, 1, 1L << 30)),
                    SwarmNode.start(new NodeSettings(model, "4-7", cluster.member(1), 0, 1, 1L << 30)));
            for (Future<SwarmNode> start : starts) {
                nodes.add(start.await(60, TimeUnit.SECONDS));
            }
            SwarmNode head = nodes.getFirst();
            AtomicInteger taken = new AtomicInteger();
            AtomicInteger probed = new AtomicInteger();
            stuck.vertx().eventBus().consumer(Addresses.shardExecute(stuck.nodeId()), message -> taken.incrementAndGet())
                    .completion().await(10, TimeUnit.SECONDS);
            stuck.vertx().eventBus().<JsonObject>consumer(Addresses.shardProbe(stuck.nodeId()), message -> {
                probed.incrementAndGet();
                message.reply(new JsonObject().put("session_id", message.body().getString("session_id")).put("last_step", -1));
            }).completion().await(10, TimeUnit.SECONDS);
            String fingerprint = head.coordinator().model().fingerprint();
            stuck.vertx().executeBlocking(() -> {
                stuck.announcements().announce(new ShardAnnouncement(stuck.nodeId(),
                        new ShardAnnouncement.ModelIdentity(fingerprint, "stuck", 8), new LayerRange(0, 7), "java",
                        Addresses.shardExecute(stuck.nodeId()), 8, 0, true));
                return null;
            }).await(10, TimeUnit.SECONDS);
            TestClusters.awaitTrue(Duration.ofSeconds(30), () -> head.coordinator().status().readyShards().size() == 3,
                    () -> "three ready shards: " + head.coordinator().status().toJson());
            Coordinator coordinator = new Coordinator(head.cluster().vertx(), head.coordinator().model(),
                    new Coordinator.Wiring(head.nodeId(), head.cluster().announcements(), null),
                    Coordinator.Settings.defaults().withStepTimeout(Duration.ofSeconds(2)));

            GenerationOutcome outcome = coordinator.generate(GenerateRequest.text("Once upon a time", 12,
                    new SamplingParams(SamplingConfig.greedy(), true, 0)), TokenListener.none())
                    .outcome().await(60, TimeUnit.SECONDS);
            assertEquals(1, taken.get(), "the stuck member got the prompt step, then was routed around");
            assertEquals(1, probed.get(), "it was asked once which step it had finished");
            assertEquals(1, coordinator.faults().count(FaultCounters.Kind.TIMEOUT));
            assertFalse(outcome.route().contains(stuck.nodeId()), outcome.route());
            assertTrue(outcome.route().contains(head.nodeId()), outcome.route());
            assertArrayEquals(expected.tokens(), outcome.tokenIds());
        } finally {
            for (SwarmNode node : nodes) {
                node.close(Duration.ofSeconds(10));
            }
            stuck.close(Duration.ofSeconds(10));
        }
    }
}
