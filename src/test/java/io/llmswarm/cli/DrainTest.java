package io.llmswarm.cli;

import io.llmswarm.cluster.Envelope;
import io.llmswarm.cluster.ExecuteTask;
import io.llmswarm.cluster.HiddenEncoding;
import io.llmswarm.cluster.SamplingParams;
import io.llmswarm.cluster.TaskInput;
import io.llmswarm.cluster.TaskParams;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.coordinator.SwarmTestModel;
import io.llmswarm.gateway.TestHttp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A planned stop's drain, in one JVM: node B (layers 4-7) holds a session when it starts to drain.
 * While the session is open B answers /ready and new generations with 503 and Retry-After, the
 * swarm stops planning routes through it (a request to node A gets 503 naming layers 4-7), and the
 * drain waits; once the session is released the drain ends. A drain with nothing left ends at once.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DrainTest {

    @TempDir
    Path dir;

    @Test
    void aDrainingNodeServesWhatItHoldsAndTakesNothingNew() throws Exception {
        Path model = SwarmTestModel.write(dir, 8);
        List<SwarmNode> nodes = new ArrayList<>();
        try {
            SwarmTestModel.startNodes(model, nodes, "0-3", "4-7");
            SwarmNode a = nodes.get(0);
            SwarmNode b = nodes.get(1);
            TestHttp httpA = new TestHttp(a.httpPort());
            TestHttp httpB = new TestHttp(b.httpPort());
            TestClusters.awaitTrue(Duration.ofSeconds(20), () -> status(httpA, "/ready") == 200, () -> "the swarm to be ready");

            // A session on B, as a request in the middle of its generation leaves one.
            String shardId = b.shard().shardId();
            ExecuteTask step = new ExecuteTask(Envelope.now(Envelope.EXECUTE_TASK, "held", "test", shardId),
                    new TaskParams("held", shardId, b.shard().layers(), 0, true, SamplingParams.greedy(), HiddenEncoding.F32),
                    new TaskInput(new int[] {1, 2, 3}, new float[3 * 64], 64));
            assertTrue(b.shard().execute(step).isOk());

            CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> {
                try {
                    return b.drain(Duration.ofSeconds(60));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            TestClusters.awaitTrue(Duration.ofSeconds(20), () -> status(httpA, "/ready") == 503,
                    () -> "the swarm to see that B drains");
            HttpResponse<String> readyB = httpB.get("/ready");
            assertEquals(503, readyB.statusCode());
            assertTrue(new JsonObject(readyB.body()).getBoolean("draining"), readyB.body());
            assertEquals("5", readyB.headers().firstValue("Retry-After").orElse(null));
            HttpResponse<String> atB = httpB.post("/api/inference", request());
            assertEquals(503, atB.statusCode(), atB.body());
            assertTrue(atB.body().contains("draining"), atB.body());
            assertTrue(atB.headers().firstValue("Retry-After").isPresent());
            HttpResponse<String> atA = httpA.post("/api/inference", request());
            assertEquals(503, atA.statusCode(), atA.body());
            assertTrue(atA.body().contains("4-7"), atA.body());
            assertTrue(atA.headers().firstValue("Retry-After").isPresent());
            assertFalse(drained.isDone(), "B waits while it holds a session");

            assertTrue(b.shard().release("held"));
            assertTrue(drained.get(20, TimeUnit.SECONDS), "the drain ended once the session was released");

            // POST /admin/drain starts what the command registered (a -cluster node: its drain and exit).
            assertEquals(501, httpA.post("/admin/drain", "").statusCode(), "nothing registered: not here");
            CompletableFuture<Boolean> requested = new CompletableFuture<>();
            a.onStopRequest(() -> requested.complete(true));
            assertEquals(202, httpA.post("/admin/drain", "").statusCode());
            assertTrue(requested.get(10, TimeUnit.SECONDS));
            assertTrue(a.drain(Duration.ofSeconds(5)), "nothing left: at once");

            // A session that outlives the drain timeout: the drain gives up (the node then leaves, and
            // its requests fail over or fail) rather than wait for ever.
            String shardA = a.shard().shardId();
            assertTrue(a.shard().execute(new ExecuteTask(Envelope.now(Envelope.EXECUTE_TASK, "long", "test", shardA),
                    new TaskParams("long", shardA, a.shard().layers(), 0, false, SamplingParams.greedy(), HiddenEncoding.F32),
                    TaskInput.tokens(1, 2, 3))).isOk());
            assertFalse(a.drain(Duration.ofMillis(300)), "the timeout passed with a session left");
        } finally {
            for (SwarmNode node : nodes) {
                node.close(Duration.ofSeconds(10));
            }
        }
    }

    private static String request() {
        return new JsonObject().put("prompt", "Once upon a time").put("raw", true).put("max_tokens", 4)
                .put("temperature", 0).encode();
    }

    private static int status(TestHttp http, String path) {
        try {
            return http.get(path).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }
}
