package io.llmswarm.coordinator;

import io.llmswarm.cli.NodeSettings;
import io.llmswarm.cli.Resilience;
import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.Envelope;
import io.llmswarm.cluster.ExecuteTask;
import io.llmswarm.cluster.HiddenEncoding;
import io.llmswarm.cluster.RawCodec;
import io.llmswarm.cluster.Relay;
import io.llmswarm.cluster.SamplingParams;
import io.llmswarm.cluster.ShardAnnouncement;
import io.llmswarm.cluster.SwarmCluster;
import io.llmswarm.cluster.TaskReply;
import io.llmswarm.cluster.TaskReplyCodec;
import io.llmswarm.cluster.TaskResult;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.engine.LayerRange;
import io.llmswarm.inference.GenerationResult;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failures on the way reach the coordinator at once, not at the step's deadline (here ten minutes,
 * against waits of at most 40 s): a reply that cannot be decoded moves the request to another
 * route, and a hop whose node has no consumer for the step is a fault as soon as the step cannot
 * be delivered. Also: a coordinator forgets the circuit breaker of a node that left, and closing it
 * releases its consumer and listener.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class ShardFaultsReachCoordinatorTest {

    private static final Resilience PATIENT = new Resilience(Duration.ofMinutes(10), Duration.ofMinutes(5), 2,
            Duration.ofSeconds(30), Duration.ofMinutes(10), HiddenEncoding.F32);
    /** No fail-over: each request that meets the unreachable node fails at once, one fault each (its breaker stays closed). */
    private static final Resilience PATIENT_NO_FAILOVER = new Resilience(Duration.ofMinutes(10), Duration.ofMinutes(5), 0,
            Duration.ofSeconds(30), Duration.ofMinutes(10), HiddenEncoding.F32);
    private static final SamplingParams GREEDY = new SamplingParams(SamplingConfig.greedy(), true, 0);

    @TempDir
    Path dir;

    @Test
    void aMalformedReplyMovesTheRequestOnAtOnceAndALeftNodesBreakerIsForgotten() throws Exception {
        Path model = SwarmTestModel.write(dir, 8);
        GenerationResult expected;
        try (LocalModel local = SwarmTestModel.local(model)) {
            expected = SwarmTestModel.generate(local, "Once upon a time", 12, SamplingConfig.greedy(), true);
        }
        AtomicInteger malformed = new AtomicInteger();
        try (ImpostorSwarm swarm = ImpostorSwarm.start(model, PATIENT, (Message<ExecuteTask> message) -> {
            ExecuteTask step = message.body();
            Relay relay = step.relay();
            // A well-signed reply (no secret here) whose hidden states' shape does not match its body.
            TaskReply reply = TaskReply.ok(new Envelope(Envelope.TASK_RESULT, step.envelope().requestId(),
                    step.envelope().to(), relay.replyTo(), System.currentTimeMillis()),
                    new TaskResult.Hidden(new float[4], 2, 2), 1).relayed(relay.answered(new Relay.HopTime(1, 1)));
            Buffer wire = Buffer.buffer();
            new TaskReplyCodec().encodeToWire(wire, reply);
            malformed.incrementAndGet();
            Vertx.currentContext().owner().eventBus().send(relay.replyTo(), wire.appendBytes(new byte[3]),
                    new DeliveryOptions().setCodecName(TaskReplyCodec.NAME));
        })) {
            // The impostor sends raw bytes under the reply codec's name.
            swarm.impostor().vertx().eventBus().unregisterDefaultCodec(TaskReply.class)
                    .registerCodec(new RawCodec(TaskReplyCodec.NAME));
            swarm.announceImpostor();
            Coordinator coordinator = swarm.head().coordinator();
            long invalidBefore = coordinator.faults().count(FaultCounters.Kind.INVALID_RESULT);
            GenerationOutcome outcome = coordinator.generate(GenerateRequest.text("Once upon a time", 12, GREEDY),
                    TokenListener.none()).outcome().await(40, TimeUnit.SECONDS);
            assertEquals(1, malformed.get(), "the impostor answered once, then was routed around");
            assertFalse(outcome.route().contains(swarm.impostorId()), outcome.route());
            assertArrayEquals(expected.tokens(), outcome.tokenIds());
            assertEquals(invalidBefore + 1, coordinator.faults().count(FaultCounters.Kind.INVALID_RESULT));
            assertTrue(coordinator.health().tracked().contains(swarm.impostorId()), "a breaker for the impostor");

            swarm.impostor().close(Duration.ofSeconds(10));
            TestClusters.awaitTrue(Duration.ofSeconds(30), () -> !coordinator.health().tracked().contains(swarm.impostorId()),
                    () -> "the breaker of the node that left to be forgotten: " + coordinator.health().tracked());

            coordinator.close().await(10, TimeUnit.SECONDS);
            Exception refused = assertThrows(Exception.class, () -> coordinator.generate(GenerateRequest.text(
                    "Once upon a time", 4, GREEDY), TokenListener.none()).outcome().await(10, TimeUnit.SECONDS));
            assertTrue(refused.getMessage().contains("coordinator closed"), refused.getMessage());
            assertTrue(coordinator.health().tracked().isEmpty(), "closing closed every breaker");
        }
    }

    @Test
    void aHopWithoutAConsumerFailsTheStepAtOnceNamingIt() throws Exception {
        Path model = SwarmTestModel.write(dir, 8);
        TestClusters cluster = new TestClusters(2);
        SwarmNode head = SwarmNode.start(new NodeSettings(model, "0-3", cluster.member(0), 0, 1, 1L << 30,
                PATIENT_NO_FAILOVER)).await(60, TimeUnit.SECONDS);
        SwarmCluster ghost = SwarmCluster.join(cluster.member(1)).await(60, TimeUnit.SECONDS);
        try {
            // Announces layers 4-7 but never listens on its shard address: the first shard's relay cannot deliver.
            String fingerprint = head.coordinator().model().fingerprint();
            ghost.vertx().executeBlocking(() -> {
                ghost.announcements().announce(new ShardAnnouncement(ghost.nodeId(),
                        new ShardAnnouncement.ModelIdentity(fingerprint, "ghost", 8), new LayerRange(4, 7), "java",
                        Addresses.shardExecute(ghost.nodeId()), 8, 0, true));
                return null;
            }).await(10, TimeUnit.SECONDS);
            TestClusters.awaitTrue(Duration.ofSeconds(30), () -> head.coordinator().status().isReady(), () -> "readiness");
            Exception failed = assertThrows(Exception.class, () -> head.coordinator().generate(GenerateRequest.text(
                    "Once upon a time", 4, GREEDY), TokenListener.none()).outcome().await(40, TimeUnit.SECONDS));
            assertTrue(failed.getMessage().contains("shard " + ghost.nodeId() + " (layers 4-7) could not be reached"),
                    failed.getMessage());
            TestClusters.awaitTrue(Duration.ofSeconds(30), () -> head.shard().sessionCount() == 0,
                    () -> "the first shard's sessions to be released: " + head.shard().sessionCount());

            // Now the ghost claims every layer: the one-hop route through it is the first hop, which the coordinator cannot reach.
            ghost.vertx().executeBlocking(() -> {
                ghost.announcements().announce(new ShardAnnouncement(ghost.nodeId(),
                        new ShardAnnouncement.ModelIdentity(fingerprint, "ghost", 8), new LayerRange(0, 7), "java",
                        Addresses.shardExecute(ghost.nodeId()), 8, 0, true));
                return null;
            }).await(10, TimeUnit.SECONDS);
            TestClusters.awaitTrue(Duration.ofSeconds(30), () -> head.coordinator().status().shards().stream()
                    .anyMatch(s -> s.nodeId().equals(ghost.nodeId()) && s.layers().first() == 0), () -> "the ghost's 0-7");
            Exception firstHop = assertThrows(Exception.class, () -> head.coordinator().generate(GenerateRequest.text(
                    "Once upon a time", 4, GREEDY), TokenListener.none()).outcome().await(40, TimeUnit.SECONDS));
            assertTrue(firstHop.getMessage().contains("shard " + ghost.nodeId() + " (layers 0-7) could not be reached"),
                    firstHop.getMessage());
        } finally {
            ghost.close(Duration.ofSeconds(10));
            head.close(Duration.ofSeconds(10));
        }
    }
}
