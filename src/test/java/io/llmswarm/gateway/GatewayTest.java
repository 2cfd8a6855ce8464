package io.llmswarm.gateway;

import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.SamplingJson;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.coordinator.PipelineStateStore;
import io.llmswarm.coordinator.SwarmTestModel;
import io.llmswarm.inference.GenerationResult;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.llmswarm.gateway.GatewaySwarm.WAIT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two swarm nodes in this JVM (layers 0-3 and 4-7 of an 8-layer model), each serving the gateway
 * on a free port: the HTTP answers must carry exactly the single-process engine's tokens.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GatewayTest {

    @RegisterExtension
    static final GatewaySwarm swarm = GatewaySwarm.firstHalf();

    @AutoClose
    private static LocalModel local;

    @BeforeAll
    static void loadTheSingleProcessEngine() {
        local = SwarmTestModel.local(swarm.model());
    }

    private static HttpResponse<String> post(int node, String body) throws Exception {
        return swarm.http(node).post("/api/inference", body);
    }

    /** Asks for a stream with the Accept header; {@code "stream": true} in the body asks as well. */
    private static HttpResponse<InputStream> postStream(int node, JsonObject body) throws Exception {
        TestHttp http = swarm.http(node);
        HttpRequest.Builder request = http.request("/api/inference", null).header("Content-Type", "application/json");
        if (!body.getBoolean("stream", false)) {
            request.header("Accept", "text/event-stream");
        }
        return http.client().send(request.POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(),
                HttpResponse.BodyHandlers.ofInputStream());
    }

    /** One parsed Server-Sent Event: its name (null for a plain data event) and its JSON data. */
    private record Event(String name, JsonObject data) {
    }

    private static Event nextEvent(BufferedReader reader) throws Exception {
        String name = null;
        String data = null;
        String line;
        while ((line = reader.readLine()) != null) {
            if (line.isEmpty()) {
                if (data != null) {
                    return new Event(name, new JsonObject(data));
                }
            } else if (line.startsWith("event: ")) {
                name = line.substring("event: ".length());
            } else if (line.startsWith("data: ")) {
                data = line.substring("data: ".length());
            }
        }
        return null;
    }

    private static int[] ids(JsonArray array) {
        return array.stream().mapToInt(t -> ((Number) t).intValue()).toArray();
    }

    @Test
    @Order(1)
    void beforeTheSwarmIsCompleteReadyAndInferenceAnswer503NamingTheMissingLayers() throws Exception {
        TestHttp first = swarm.http(0);
        assertEquals(200, first.get("/health").statusCode());
        HttpResponse<String> ready = first.get("/ready");
        assertEquals(503, ready.statusCode(), ready.body());
        assertTrue(new JsonObject(ready.body()).getJsonArray("missing_layers").contains("4-7"), ready.body());
        assertTrue(ready.headers().firstValue("Retry-After").isPresent());
        HttpResponse<String> inference = post(0, "{\"prompt\": \"Hello\", \"max_tokens\": 3}");
        assertEquals(503, inference.statusCode(), inference.body());
        assertTrue(new JsonObject(inference.body()).getString("error").contains("4-7"), inference.body());
    }

    @Test
    @Order(2)
    void onceTheSecondNodeJoinsTheSwarmIsReady() throws Exception {
        swarm.startSecondHalf();
        for (int i = 0; i < swarm.nodes().size(); i++) {
            assertTrue(swarm.node(i).httpPort() > 0);
            assertEquals(200, swarm.http(i).get("/ready").statusCode());
        }
        HttpResponse<String> status = swarm.http(1).get("/api/swarm");
        assertEquals(200, status.statusCode());
        JsonObject view = new JsonObject(status.body());
        assertTrue(view.getBoolean("ready"), status.body());
        assertEquals(2, view.getJsonArray("shards").size(), status.body());
        assertEquals(8, view.getInteger("block_count"));
    }

    @Test
    @Order(3)
    void nonStreamingInferenceEqualsTheSingleProcessEngine() throws Exception {
        GenerationResult expected = SwarmTestModel.generate(local, "Once upon a time", 16, SamplingConfig.greedy(), true);
        HttpResponse<String> response = post(1, new JsonObject().put("prompt", "Once upon a time").put("raw", true)
                .put("max_tokens", 16).put("temperature", 0).put("ignore_eos", true).encode());
        assertEquals(200, response.statusCode(), response.body());
        JsonObject body = new JsonObject(response.body());
        assertArrayEquals(expected.tokens(), ids(body.getJsonArray("tokens")), response.body());
        assertEquals(local.tokenizer().decode(expected.tokens()).strip(), body.getString("result").strip());
        JsonObject metadata = body.getJsonObject("metadata");
        assertEquals(16, metadata.getInteger("tokens_generated"));
        assertEquals(2, metadata.getJsonObject("shard_latencies").size(), response.body());
        assertEquals(body.getString("request_id"), response.headers().firstValue("X-Request-Id").orElseThrow());
    }

    @Test
    @Order(4)
    void streamingSendsOneEventPerTokenThenTheMetadata() throws Exception {
        SamplingConfig sampling = SamplingConfig.defaults(42).withTemperature(0.9f);
        GenerationResult expected = SwarmTestModel.generate(local, "The little dog", 20, sampling, true);
        // Every sampling key spelled out, so the node samples with exactly the reference's settings.
        JsonObject request = SamplingJson.toJson(sampling).put("prompt", "The little dog").put("raw", true).put("max_tokens", 20)
                .put("ignore_eos", true).put("stream", true);
        HttpResponse<InputStream> response = postStream(0, request);
        assertEquals(200, response.statusCode());
        assertEquals("text/event-stream", response.headers().firstValue("Content-Type").orElseThrow());
        List<JsonObject> tokens = new ArrayList<>();
        Event done;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            Event event;
            while ((event = nextEvent(reader)) != null && event.name() == null) {
                tokens.add(event.data());
            }
            done = event;
        }
        assertNotNull(done, "a final event");
        assertEquals("done", done.name(), done.data().encode());
        assertArrayEquals(expected.tokens(), tokens.stream().mapToInt(t -> t.getInteger("id")).toArray());
        for (int i = 0; i < tokens.size(); i++) {
            assertEquals(i, tokens.get(i).getInteger("index"));
        }
        assertEquals(done.data().getString("result"), tokens.stream().map(t -> t.getString("text"))
                .reduce("", String::concat));
        assertArrayEquals(expected.tokens(), ids(done.data().getJsonArray("tokens")));
        assertEquals(20, done.data().getJsonObject("metadata").getInteger("tokens_generated"));
    }

    @Test
    @Order(5)
    void malformedBodiesAndBadValuesAreRefusedWith400() throws Exception {
        HttpResponse<String> malformed = post(0, "{\"prompt\": \"Hello\", ");
        assertEquals(400, malformed.statusCode(), malformed.body());
        assertTrue(new JsonObject(malformed.body()).getString("error").contains("not a JSON object"), malformed.body());
        HttpResponse<String> noPrompt = post(0, "{\"max_tokens\": 3}");
        assertEquals(400, noPrompt.statusCode(), noPrompt.body());
        assertTrue(new JsonObject(noPrompt.body()).getString("error").contains("\"prompt\""), noPrompt.body());
        HttpResponse<String> negative = post(1, "{\"prompt\": \"Hello\", \"max_tokens\": -2}");
        assertEquals(400, negative.statusCode(), negative.body());
        assertTrue(new JsonObject(negative.body()).getString("error").contains("max_tokens"), negative.body());
        HttpResponse<String> empty = post(1, "");
        assertEquals(400, empty.statusCode(), empty.body());
        assertRefused("{\"prompt\": \"Hello\", \"max_tokens\": 0}", "max_tokens");
        assertRefused("{\"prompt\": \"Hello\", \"max_tokens\": \"ten\"}", "\"max_tokens\" must be an integer");
        assertRefused("{\"prompt\": \"Hello\", \"max_tokens\": 100000}", "context length 128");
        assertRefused("{\"prompt\": \"Hello\", \"temperature\": -1}", "temperature");
        assertRefused("{\"prompt\": \"Hello\", \"top_p\": 1.5}", "top_p");
        assertRefused("{\"prompt\": \"Hello\", \"stream\": \"yes\"}", "\"stream\" must be true or false");
        assertRefused("{\"prompt\": 5}", "\"prompt\" must be a string");
        assertRefused("{\"prompt\": \"\"}", "\"prompt\" is empty");
        assertRefused("[1, 2]", "not a JSON object");
        String tooLong = new JsonObject().put("prompt", "a long story ".repeat(200)).encode();
        assertRefused(tooLong, "the model's context holds 128 tokens");
        HttpResponse<InputStream> tooLongStreamed = postStream(1, new JsonObject(tooLong));
        assertEquals(400, tooLongStreamed.statusCode(), "a stream that fails before its first token is a plain 400");
        tooLongStreamed.body().close();
        HttpResponse<String> huge = post(0, new JsonObject().put("prompt", "x".repeat(2 << 20)).encode());
        assertEquals(413, huge.statusCode());
    }

    private static void assertRefused(String body, String reason) throws Exception {
        HttpResponse<String> response = post(0, body);
        assertEquals(400, response.statusCode(), body + " -> " + response.body());
        String error = new JsonObject(response.body()).getString("error");
        assertTrue(error.contains(reason), body + " -> " + error);
    }

    @Test
    @Order(6)
    void closingTheEventStreamEarlyCancelsTheGenerationAndFreesTheSessions() throws Exception {
        int maxTokens = 120;
        JsonObject request = new JsonObject().put("prompt", "Once upon a time").put("max_tokens", maxTokens)
                .put("temperature", 0).put("ignore_eos", true);
        HttpResponse<InputStream> response = postStream(1, request);
        assertEquals(200, response.statusCode());
        String requestId = response.headers().firstValue("X-Request-Id").orElseThrow();
        BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
        for (int i = 0; i < 2; i++) {
            Event event = nextEvent(reader);
            assertNotNull(event);
            assertEquals(i, event.data().getInteger("index"));
        }
        reader.close();
        swarm.awaitNoSessions();
        PipelineStateStore states = new PipelineStateStore(swarm.node(0).cluster().hazelcast(), Duration.ofMinutes(1));
        TestClusters.awaitTrue(WAIT, () -> states.find(requestId)
                        .map(s -> !s.getString("status").equals("PENDING") && !s.getString("status").equals("IN_PROGRESS"))
                        .orElse(false),
                () -> "a final state: " + states.find(requestId));
        JsonObject state = states.find(requestId).orElseThrow();
        assertTrue(state.getInteger("tokens_generated") < maxTokens, "cancelled early: " + state.encode());
    }

    @Test
    @Order(7)
    void whenANodeLeavesReadyAnswers503Again() throws Exception {
        swarm.stopSecondHalf();
        SwarmNode first = swarm.node(0);
        TestClusters.awaitTrue(WAIT, () -> !first.coordinator().status().isReady(), () -> "the swarm to lose 4-7");
        HttpResponse<String> ready = swarm.http(0).get("/ready");
        assertEquals(503, ready.statusCode(), ready.body());
        assertTrue(ready.body().contains("4-7"), ready.body());
    }
}
