package io.llmswarm.gateway;

import io.llmswarm.cli.NodeSettings;
import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.coordinator.SwarmTestModel;
import io.llmswarm.inference.GenerationResult;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two single-node swarms (all 8 layers each): one with API keys, one with a KV-cache budget too
 * small for any session. Keys guard the APIs and metrics and leave health open; a request without
 * a key does nothing; a session beyond the budget is a 503 with Retry-After through both APIs, and
 * a 503 with retry_after on a bridge stream.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class GatewayGuardsTest {

    private static final String KEY = "test-key-0001";

    @TempDir
    static Path dir;

    private static LocalModel local;
    private static SwarmNode keyed;
    private static SwarmNode starved;

    @BeforeAll
    static void start() throws Exception {
        Path file = SwarmTestModel.write(dir, 8);
        local = SwarmTestModel.local(file);
        GatewaySettings keys = new GatewaySettings("127.0.0.1", ApiKeys.of(List.of(KEY, "test-key-0002")),
                GatewayLimits.defaults());
        keyed = SwarmNode.start(new NodeSettings(file, "0-7", new TestClusters(1).member(0), 0, 1, 1L << 30)
                .withGateway(keys)).await(60, TimeUnit.SECONDS);
        starved = SwarmNode.start(new NodeSettings(file, "0-7", new TestClusters(1).member(0), 0, 1, 1L << 30)
                .withKvCacheBytes(4096)).await(60, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        for (SwarmNode node : new SwarmNode[] {keyed, starved}) {
            if (node != null) {
                node.close(Duration.ofSeconds(10));
            }
        }
        if (local != null) {
            local.close();
        }
    }

    @Test
    void withoutAValidKeyTheApisAndMetricsAnswer401AndNothingRuns() throws Exception {
        TestHttp http = new TestHttp(keyed.httpPort());
        TestClusters.awaitTrue(Duration.ofSeconds(30), () -> keyed.coordinator().status().isReady(), () -> "readiness");
        assertEquals(200, http.get("/health", null).statusCode());
        assertEquals(200, http.get("/ready", null).statusCode());

        HttpResponse<String> none = http.post("/api/inference", null, "{\"prompt\": \"Hello\", \"max_tokens\": 3}");
        assertEquals(401, none.statusCode(), none.body());
        assertTrue(new JsonObject(none.body()).getString("error").contains("Authorization: Bearer"), none.body());
        assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));

        HttpResponse<String> wrong = http.post("/v1/chat/completions", "test-key-0003",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}");
        assertEquals(401, wrong.statusCode(), wrong.body());
        assertEquals("invalid_api_key", new JsonObject(wrong.body()).getJsonObject("error").getString("code"));
        assertEquals(401, http.get("/v1/models", null).statusCode());
        assertEquals(401, http.get("/api/swarm", "Bearer").statusCode());
        assertEquals(401, http.get("/metrics", null).statusCode());
        assertEquals(401, http.post("/admin/drain", null, "").statusCode(), "only a key holder stops the node");
        // Refused before the body is read: an oversized body is a 401, not a 413.
        assertEquals(401, http.post("/api/inference", null, "x".repeat(2 << 20)).statusCode());

        HttpResponse<String> metrics = http.get("/metrics", KEY);
        assertEquals(200, metrics.statusCode());
        assertFalse(metrics.body().contains("llmswarm_requests_total{endpoint=\"/api/inference\""), metrics.body());
        assertEquals(0, keyed.shard().sessionCount());

        GenerationResult expected = SwarmTestModel.generate(local, "Once upon a time", 8, SamplingConfig.greedy(), true);
        HttpResponse<String> ok = http.post("/api/inference", "test-key-0002", new JsonObject()
                .put("prompt", "Once upon a time").put("raw", true).put("max_tokens", 8).put("temperature", 0)
                .put("ignore_eos", true).encode());
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals(local.tokenizer().decode(expected.tokens()).strip(),
                new JsonObject(ok.body()).getString("result").strip());
        assertEquals(200, http.get("/v1/models", KEY).statusCode());

        // The bridge's WebSocket: browsers cannot send the header, so the key may come as access_token.
        URI socket = URI.create("ws://127.0.0.1:" + keyed.httpPort() + "/eventbus/websocket");
        var refused = Assertions.assertThrows(ExecutionException.class,
                () -> http.client().newWebSocketBuilder().buildAsync(socket, new WebSocket.Listener() { })
                        .get(20, TimeUnit.SECONDS));
        assertEquals(401, ((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode());
        WebSocket open = http.client().newWebSocketBuilder()
                .buildAsync(URI.create(socket + "?access_token=" + KEY), new WebSocket.Listener() { })
                .get(20, TimeUnit.SECONDS);
        open.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
    }

    @Test
    void aSessionBeyondTheKvCacheBudgetIs503WithRetryAfterThroughBothApisAndTheBridge() throws Exception {
        TestHttp http = new TestHttp(starved.httpPort());
        TestClusters.awaitTrue(Duration.ofSeconds(30), () -> starved.coordinator().status().isReady(), () -> "readiness");
        HttpResponse<String> inference = http.post("/api/inference", null, "{\"prompt\": \"Hello\", \"max_tokens\": 3}");
        assertEquals(503, inference.statusCode(), inference.body());
        assertEquals("1", inference.headers().firstValue("Retry-After").orElse(""));
        assertTrue(new JsonObject(inference.body()).getString("error").contains("KV cache budget"), inference.body());

        HttpResponse<String> stream = http.post("/api/inference", null,
                "{\"prompt\": \"Hello\", \"max_tokens\": 3, \"stream\": true}");
        assertEquals(503, stream.statusCode(), stream.body());

        HttpResponse<String> openAi = http.post("/v1/completions", null,
                "{\"prompt\": \"Hello\", \"max_tokens\": 3, \"stream\": true}");
        assertEquals(503, openAi.statusCode(), openAi.body());
        assertTrue(openAi.headers().firstValue("Retry-After").isPresent());
        JsonObject error = new JsonObject(openAi.body()).getJsonObject("error");
        assertEquals("overloaded", error.getString("code"), openAi.body());
        assertTrue(error.getString("message").contains("KV cache budget"), openAi.body());

        Vertx clientVertx = Vertx.vertx();
        try (BridgeClient bridge = BridgeClient.connect(clientVertx, starved.httpPort())) {
            BridgeClient.Started started = bridge.startStream(new JsonObject().put("prompt", "Hello").put("max_tokens", 3));
            JsonObject failed = bridge.nextOn(started.address());
            assertEquals("error", failed.getString("type"), failed.encode());
            assertEquals(503, failed.getInteger("code"), failed.encode());
            assertEquals(1, failed.getInteger("retry_after"), failed.encode());
            assertTrue(failed.getString("error").contains("KV cache budget"), failed.encode());
        } finally {
            clientVertx.close().await(10, TimeUnit.SECONDS);
        }
        TestClusters.awaitTrue(Duration.ofSeconds(10), () -> starved.shard().sessionCount() == 0,
                () -> starved.shard().sessionCount() + " sessions still open");
        assertEquals(starved.shard().promptCache().bytes(), starved.shard().kvCacheBudget().usedBytes(),
                "no KV bytes beyond the prompt cache's");
    }
}
