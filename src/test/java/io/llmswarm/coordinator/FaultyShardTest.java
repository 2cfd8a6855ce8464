package io.llmswarm.coordinator;

import io.llmswarm.cli.NodeSettings;
import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.Envelope;
import io.llmswarm.cluster.ExecuteTask;
import io.llmswarm.cluster.Relay;
import io.llmswarm.cluster.SamplingParams;
import io.llmswarm.cluster.ShardAnnouncement;
import io.llmswarm.cluster.SwarmCluster;
import io.llmswarm.cluster.TaskReply;
import io.llmswarm.cluster.TaskResult;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.engine.LayerRange;
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
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A member announces the whole model (so the one-hop route prefers it) but answers with a token
 * id outside the vocabulary: the coordinator rejects the result, routes around that member and
 * still gives the single-process tokens.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class FaultyShardTest {

    @TempDir
    Path dir;

    @Test
    void anInvalidResultIsRejectedAndTheStepRetriedElsewhere() throws Exception {
        Path model = SwarmTestModel.write(dir, 8);
        GenerationResult expected;
        try (LocalModel local = SwarmTestModel.local(model)) {
            expected = SwarmTestModel.generate(local, "Once upon a time", 12, SamplingConfig.greedy(), true);
        }
        TestClusters cluster = new TestClusters(3);
        List<SwarmNode> nodes = new ArrayList<>();
        SwarmCluster faulty = SwarmCluster.join(cluster.member(2)).await(60, TimeUnit.SECONDS);
        try {
            List<Future<SwarmNode>> starts = List.of(
                    SwarmNode.start(new NodeSettings(model, "0-3", cluster.member(0), 0, 1, 1L << 30)),
                    SwarmNode.start(new NodeSettings(model, "4-7", cluster.member(1), 0, 1, 1L << 30)));
            for (Future<SwarmNode> start : starts) {
                nodes.add(start.await(60, TimeUnit.SECONDS));
            }
            SwarmNode head = nodes.getFirst();
            AtomicInteger faultyCalls = new AtomicInteger();
            faulty.vertx().eventBus().<ExecuteTask>consumer(Addresses.shardExecute(faulty.nodeId()), message -> {
                faultyCalls.incrementAndGet();
                Relay relay = message.body().relay();
                TaskReply bad = TaskReply.ok(new Envelope(Envelope.TASK_RESULT, message.body().envelope().requestId(),
                        faulty.nodeId(), relay.replyTo(), System.currentTimeMillis()),
                        new TaskResult.Sampled(1_000_000, 0f, List.of()), 1);
                faulty.vertx().eventBus().send(relay.replyTo(), bad.relayed(relay.answered(new Relay.HopTime(1, 1))));
            }).completion().await(10, TimeUnit.SECONDS);
            String fingerprint = head.coordinator().model().fingerprint();
            faulty.vertx().executeBlocking(() -> {
                faulty.announcements().announce(new ShardAnnouncement(faulty.nodeId(),
                        new ShardAnnouncement.ModelIdentity(fingerprint, "faulty", 8), new LayerRange(0, 7), "java",
                        Addresses.shardExecute(faulty.nodeId()), 8, 0, true));
                return null;
            }).await(10, TimeUnit.SECONDS);
            TestClusters.awaitTrue(Duration.ofSeconds(30), () -> head.coordinator().status().readyShards().size() == 3,
                    () -> "three ready shards: " + head.coordinator().status().toJson());

            GenerationOutcome outcome = head.coordinator().generate(GenerateRequest.text("Once upon a time", 12,
                    new SamplingParams(SamplingConfig.greedy(), true, 0)), TokenListener.none())
                    .outcome().await(60, TimeUnit.SECONDS);
            assertEquals(1, faultyCalls.get(), "the faulty member was tried once, then avoided");
            assertFalse(outcome.route().contains(faulty.nodeId()), outcome.route());
            assertArrayEquals(expected.tokens(), outcome.tokenIds());
        } finally {
            for (SwarmNode node : nodes) {
                node.close(Duration.ofSeconds(10));
            }
            faulty.close(Duration.ofSeconds(10));
        }
    }
}
