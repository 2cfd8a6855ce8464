package io.llmswarm.cluster;

import io.llmswarm.cli.NodeSettings;
import io.llmswarm.cli.SwarmNode;
import io.llmswarm.coordinator.SwarmTestModel;
import io.llmswarm.inference.LocalModel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Malformed event-bus messages to a shard's execute and release addresses, from another member of
 * its cluster: every step is answered with a clear error (a refusal naming what is malformed, or
 * an error reply naming what is wrong with the step), never silence; the node keeps generating
 * correctly and no session is left open.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ShardMessageFuzzTest {

    private static final long SEED = 7_2026L;
    private static final int MESSAGES = 2000;
    private static final Duration BUDGET = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @Test
    void everyMalformedStepGetsAClearErrorAndTheShardServesOn() throws Exception {
        Path file = SwarmTestModel.write(dir, 8);
        TestClusters cluster = new TestClusters(2);
        SwarmNode node = SwarmNode.start(new NodeSettings(file, "0-7", cluster.member(0), 0, 1, 1L << 30))
                .await(60, TimeUnit.SECONDS);
        Vertx fuzzer = null;
        try (LocalModel local = SwarmTestModel.local(file)) {
            fuzzer = Vertx.builder().with(new VertxOptions().setEventLoopPoolSize(1)).withClusterManager(
                    new HazelcastClusterManager(SwarmCluster.hazelcastConfig(cluster.member(1).asLiteMember())))
                    .buildClustered().await(60, TimeUnit.SECONDS);
            fuzzer.eventBus().registerCodec(new RawCodec(ExecuteTaskCodec.NAME))
                    .registerCodec(new RawCodec(SessionReleaseCodec.NAME))
                    .registerDefaultCodec(TaskReply.class, new TaskReplyCodec());
            String execute = Addresses.shardExecute(node.nodeId());
            TestClusters.awaitTrue(Duration.ofSeconds(30), () -> node.coordinator().status().isReady(), () -> "readiness");

            MalformedSteps steps = new MalformedSteps(SEED);
            DeliveryOptions raw = new DeliveryOptions().setCodecName(ExecuteTaskCodec.NAME).setSendTimeout(20_000);
            List<String> problems = new ArrayList<>();
            long deadline = System.nanoTime() + BUDGET.toNanos();
            int sent = 0;
            int errorReplies = 0;
            while (sent < MESSAGES && System.nanoTime() < deadline && problems.isEmpty()) {
                List<CompletableFuture<Object>> batch = new ArrayList<>();
                for (int i = 0; i < 8; i++, sent++) {
                    Object body = sent % 50 == 7 ? new JsonObject().put("command", "EXECUTE_TASK") : steps.next();
                    DeliveryOptions options = body instanceof Buffer ? raw : new DeliveryOptions().setSendTimeout(20_000);
                    batch.add(fuzzer.eventBus().request(execute, body, options).map(m -> (Object) m.body())
                            .otherwise(failure -> failure).toCompletionStage().toCompletableFuture());
                }
                for (CompletableFuture<Object> answer : batch) {
                    Object reply = answer.get(30, TimeUnit.SECONDS);
                    String problem = judge(reply);
                    if (problem != null) {
                        problems.add(problem);
                    } else if (reply instanceof TaskReply) {
                        errorReplies++;
                    }
                }
            }
            assertTrue(problems.isEmpty(), "after " + sent + " messages: " + problems);
            assertTrue(sent >= 300, "only " + sent + " messages within " + BUDGET);
            assertTrue(errorReplies > 0, "some well-framed steps reached the shard and were refused there");
            for (int i = 0; i < 50; i++) {
                fuzzer.eventBus().send(Addresses.shardRelease(node.nodeId()), steps.next(),
                        new DeliveryOptions().setCodecName(SessionReleaseCodec.NAME));
            }
            System.out.println("ShardMessageFuzzTest: " + sent + " malformed steps, " + errorReplies
                    + " refused by the shard, the rest by the codec");

            SwarmTestModel.assertServesAndHoldsNothing(local, node);
            assertTrue(node.cluster().metrics().counter("llmswarm.shard.messages.rejected", "reason", "malformed")
                    .count() > 0);
        } finally {
            if (fuzzer != null) {
                fuzzer.close().await(10, TimeUnit.SECONDS);
            }
            node.close(Duration.ofSeconds(10));
        }
    }

    /** Null when the answer is a clear refusal or error reply; else what was wrong. */
    private static String judge(Object reply) {
        return switch (reply) {
            case ReplyException e when e.failureCode() == 400 && e.getMessage().contains("refused the message") -> null;
            case ReplyException e -> "unexpected failure " + e.failureType() + " " + e.failureCode() + ": " + e.getMessage();
            case TaskReply r when !r.isOk() && r.error().replace(TaskReply.INVALID_INPUT_PREFIX, "").startsWith("shard ") -> null;
            default -> "accepted or unclear: " + reply;
        };
    }
}
