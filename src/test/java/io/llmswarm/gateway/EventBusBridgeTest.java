package io.llmswarm.gateway;

import io.llmswarm.cli.NodeSettings;
import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.coordinator.PipelineStateStore;
import io.llmswarm.coordinator.SwarmTestModel;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SockJS event-bus bridge at {@code /eventbus} on two in-JVM swarm nodes (layers 0-3 and 4-7 of
 * an 8-layer model), driven by a WebSocket client speaking the bridge's JSON frames: a client
 * streams its own tokens (the same as {@code POST /api/inference} gives), hears swarm events, stops
 * a generation by unregistering, and is refused every internal address.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EventBusBridgeTest {

    @TempDir
    static Path dir;

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private static Path file;
    private static TestClusters cluster;
    private static Vertx clientVertx;
    private static final List<SwarmNode> nodes = new ArrayList<>();

    @BeforeAll
    static void startFirstNode() throws Exception {
        file = SwarmTestModel.write(dir, 8);
        cluster = new TestClusters(2);
        clientVertx = Vertx.vertx();
        nodes.add(SwarmNode.start(new NodeSettings(file, "0-3", cluster.member(0), 0, 1, 1L << 30))
                .await(60, TimeUnit.SECONDS));
    }

    @AfterAll
    static void stopSwarm() throws Exception {
        for (SwarmNode node : nodes) {
            node.close(Duration.ofSeconds(10));
        }
        if (clientVertx != null) {
            clientVertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    private static String streamId() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    private static boolean isRec(JsonObject frame, String address) {
        return "rec".equals(frame.getString("type")) && address.equals(frame.getString("address"));
    }

    private static HttpResponse<String> post(SwarmNode node, String path, JsonObject body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path)).timeout(WAIT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Registers a fresh stream, sends {@code request} on it with a reply address; returns the stream's address and the reply. */
    private static JsonObject[] startStream(BridgeClient client, JsonObject request) throws Exception {
        String streamId = streamId();
        String tokens = BridgeAddresses.tokens(streamId);
        client.register(tokens);
        String replyAddress = streamId();
        client.send(BridgeAddresses.INFERENCE, request.copy().put("stream_id", streamId), replyAddress);
        JsonObject reply = client.next(f -> replyAddress.equals(f.getString("address")));
        return new JsonObject[] {new JsonObject().put("address", tokens).put("stream_id", streamId), reply};
    }

    /** Reads a stream to its end: every token message, then the final one. */
    private static List<JsonObject> readStream(BridgeClient client, String address) throws Exception {
        List<JsonObject> messages = new ArrayList<>();
        while (true) {
            JsonObject body = client.next(f -> isRec(f, address)).getJsonObject("body");
            messages.add(body);
            if (!"token".equals(body.getString("type"))) {
                return messages;
            }
        }
    }

    @Test
    @Order(1)
    void aBridgeClientHearsTheSwarmBecomeReadyWhenTheSecondNodeJoins() throws Exception {
        try (BridgeClient client = BridgeClient.connect(clientVertx, nodes.getFirst().httpPort())) {
            client.register(BridgeAddresses.EVENTS);
            // The register is handled in order with what follows; a round trip makes sure it is in place.
            JsonObject[] refused = startStream(client, new JsonObject().put("prompt", "Hello").put("max_tokens", 2));
            assertEquals(503, refused[1].getInteger("failureCode"), refused[1].encode());
            assertTrue(refused[1].getString("message").contains("4-7"), refused[1].encode());

            nodes.add(SwarmNode.start(new NodeSettings(file, "4-7", cluster.member(1), 0, 1, 1L << 30))
                    .await(60, TimeUnit.SECONDS));
            String second = nodes.get(1).nodeId();
            JsonObject event = client.next(f -> isRec(f, BridgeAddresses.EVENTS)
                    && f.getJsonObject("body").getBoolean("ready")).getJsonObject("body");
            assertEquals("swarm", event.getString("type"));
            assertTrue(event.getBoolean("ready_changed"), event.encode());
            assertEquals(new JsonArray(), event.getJsonArray("missing_layers"));
            assertEquals(2, event.getJsonObject("swarm").getJsonArray("shards").size(), event.encode());
            assertTrue(event.getJsonObject("swarm").getJsonArray("shards").stream()
                    .anyMatch(s -> second.equals(((JsonObject) s).getString("node_id"))), event.encode());
        }
        for (SwarmNode node : nodes) {
            TestClusters.awaitTrue(WAIT, () -> node.coordinator().status().isReady(), () -> "readiness on " + node.nodeId());
        }
    }

    @Test
    @Order(2)
    void aBridgeClientStreamsTheTokensOfPostApiInference() throws Exception {
        JsonObject request = new JsonObject().put("prompt", "Once upon a time").put("max_tokens", 16)
                .put("temperature", 0).put("ignore_eos", true);
        HttpResponse<String> http = post(nodes.get(1), "/api/inference", request);
        assertEquals(200, http.statusCode(), http.body());
        JsonObject expected = new JsonObject(http.body());

        try (BridgeClient client = BridgeClient.connect(clientVertx, nodes.getFirst().httpPort())) {
            JsonObject[] started = startStream(client, request);
            JsonObject reply = started[1];
            assertEquals("rec", reply.getString("type"), reply.encode());
            assertNotNull(reply.getJsonObject("body").getString("request_id"), reply.encode());
            List<JsonObject> messages = readStream(client, started[0].getString("address"));
            JsonObject done = messages.removeLast();
            assertEquals("done", done.getString("type"), done.encode());
            assertEquals(16, messages.size());
            JsonArray ids = new JsonArray();
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < messages.size(); i++) {
                JsonObject token = messages.get(i);
                assertEquals(i, token.getInteger("index"));
                ids.add(token.getInteger("id"));
                text.append(token.getString("text"));
                JsonArray shards = token.getJsonArray("shards");
                assertEquals(2, shards.size(), token.encode());
                // Each token has gone through both shards once more (the prompt was the first step).
                for (Object shard : shards) {
                    assertEquals(i + 1, ((JsonObject) shard).getInteger("steps"), token.encode());
                }
            }
            assertEquals(expected.getJsonArray("tokens"), ids);
            assertEquals(expected.getString("result"), text.toString());
            assertEquals(expected.getJsonArray("tokens"), done.getJsonArray("tokens"));
            assertEquals(reply.getJsonObject("body").getString("request_id"), done.getString("request_id"));
            assertEquals(2, done.getJsonObject("metadata").getJsonObject("shard_latencies").size(), done.encode());
        }
    }

    @Test
    @Order(3)
    void chatMessagesAreRenderedWithTheModelsTemplateAsTheOpenAiApiDoes() throws Exception {
        JsonArray messages = new JsonArray().add(new JsonObject().put("role", "user").put("content", "Tell me a story"));
        HttpResponse<String> openAi = post(nodes.get(0), "/v1/chat/completions", new JsonObject().put("messages", messages)
                .put("max_tokens", 12).put("temperature", 0));
        assertEquals(200, openAi.statusCode(), openAi.body());
        String expected = new JsonObject(openAi.body()).getJsonArray("choices").getJsonObject(0)
                .getJsonObject("message").getString("content");
        try (BridgeClient client = BridgeClient.connect(clientVertx, nodes.get(1).httpPort())) {
            JsonObject[] started = startStream(client, new JsonObject().put("messages", messages).put("max_tokens", 12)
                    .put("temperature", 0));
            List<JsonObject> stream = readStream(client, started[0].getString("address"));
            JsonObject done = stream.getLast();
            assertEquals("done", done.getString("type"), done.encode());
            assertEquals(expected, done.getString("result"));
        }
    }

    @Test
    @Order(4)
    void unregisteringTheStreamCancelsTheGenerationAndFreesItsSessions() throws Exception {
        int maxTokens = 120;
        try (BridgeClient client = BridgeClient.connect(clientVertx, nodes.get(1).httpPort())) {
            JsonObject[] started = startStream(client, new JsonObject().put("prompt", "Once upon a time")
                    .put("max_tokens", maxTokens).put("temperature", 0).put("ignore_eos", true));
            String requestId = started[1].getJsonObject("body").getString("request_id");
            String address = started[0].getString("address");
            for (int i = 0; i < 2; i++) {
                assertEquals("token", client.next(f -> isRec(f, address)).getJsonObject("body").getString("type"));
            }
            client.unregister(address);
            for (SwarmNode node : nodes) {
                TestClusters.awaitTrue(WAIT, () -> node.shard().sessionCount() == 0,
                        () -> "sessions to close on " + node.layers() + ": " + node.shard().sessionCount());
            }
            PipelineStateStore states = new PipelineStateStore(nodes.getFirst().cluster().hazelcast(), Duration.ofMinutes(1));
            TestClusters.awaitTrue(WAIT, () -> states.find(requestId).map(s -> s.getString("status").equals("COMPLETED"))
                    .orElse(false), () -> "a final state: " + states.find(requestId));
            JsonObject state = states.find(requestId).orElseThrow();
            assertTrue(state.getInteger("tokens_generated") < maxTokens, "cancelled early: " + state.encode());
        }
    }

    @Test
    @Order(5)
    void aStreamBelongsToTheConnectionThatRegisteredItFirst() throws Exception {
        try (BridgeClient owner = BridgeClient.connect(clientVertx, nodes.getFirst().httpPort());
             BridgeClient other = BridgeClient.connect(clientVertx, nodes.getFirst().httpPort())) {
            String streamId = streamId();
            String address = BridgeAddresses.tokens(streamId);
            owner.register(address);
            other.register(address);
            JsonObject refused = other.next();
            assertEquals("err", refused.getString("type"), refused.encode());
            assertEquals("rejected", refused.getString("body"), refused.encode());
            other.send(BridgeAddresses.INFERENCE, new JsonObject().put("stream_id", streamId).put("prompt", "Hello")
                    .put("max_tokens", 4), "reply-" + streamId.substring(0, 12));
            JsonObject notYours = other.next();
            assertEquals(403, notYours.getInteger("failureCode"), notYours.encode());
            assertTrue(notYours.getString("message").contains("not this connection's"), notYours.encode());
            assertNull(owner.poll(Duration.ofMillis(300)), "the owner's stream stays silent");
        }
    }

    @Test
    @Order(6)
    void badRequestsAreFailedNamingTheField() throws Exception {
        try (BridgeClient client = BridgeClient.connect(clientVertx, nodes.getFirst().httpPort())) {
            JsonObject[] tooMany = startStream(client, new JsonObject().put("prompt", "Hello").put("max_tokens", 100000));
            assertEquals(400, tooMany[1].getInteger("failureCode"), tooMany[1].encode());
            assertTrue(tooMany[1].getString("message").contains("max_tokens"), tooMany[1].encode());
            JsonObject error = client.next(f -> isRec(f, tooMany[0].getString("address"))).getJsonObject("body");
            assertEquals("error", error.getString("type"), error.encode());

            JsonObject[] noPrompt = startStream(client, new JsonObject().put("max_tokens", 3));
            assertEquals(400, noPrompt[1].getInteger("failureCode"), noPrompt[1].encode());
            assertTrue(noPrompt[1].getString("message").contains("\"prompt\""), noPrompt[1].encode());

            client.send(BridgeAddresses.INFERENCE, new JsonObject().put("stream_id", "short").put("prompt", "Hi"), "reply-short");
            JsonObject badId = client.next(f -> "reply-short".equals(f.getString("address")));
            assertEquals(400, badId.getInteger("failureCode"), badId.encode());
            assertTrue(badId.getString("message").contains("stream_id"), badId.encode());
        }
    }

    @Test
    @Order(7)
    void everyInternalAddressIsRefusedAndNoShardSeesATask() throws Exception {
        AtomicInteger shardTasks = new AtomicInteger();
        List<Vertx> intercepted = nodes.stream().map(n -> n.cluster().vertx()).toList();
        Handler<DeliveryContext<Object>> counter = context -> {
            if (context.message().address().startsWith(Addresses.SHARD_PREFIX)) {
                shardTasks.incrementAndGet();
            }
            context.next();
        };
        intercepted.forEach(v -> v.eventBus().addInboundInterceptor(counter));
        try (BridgeClient client = BridgeClient.connect(clientVertx, nodes.getFirst().httpPort())) {
            String shard = Addresses.shardExecute(nodes.get(1).nodeId());
            JsonObject task = new JsonObject().put("session", "x").put("tokens", new JsonArray().add(1));
            client.send(shard, task, null);
            assertRefused(client, "access_denied", "a send to " + shard);
            client.send(shard, task, "reply-shard");
            assertRefused(client, "access_denied", "a request to " + shard);
            client.publish(Addresses.shardRelease(nodes.get(0).nodeId()), new JsonObject().put("session", "x"));
            assertRefused(client, "access_denied", "a publish to a shard's release address");
            client.send(Addresses.GENERATE, new JsonObject().put("prompt", "Hello").put("max_tokens", 2), "reply-gen");
            assertRefused(client, "access_denied", "a send to the coordinators");
            client.register(shard);
            assertRefused(client, "access_denied", "a register for a shard's address");
            client.register(Addresses.STATUS);
            assertRefused(client, "access_denied", "a register for the coordinators' status");
            client.publish(BridgeAddresses.INFERENCE, new JsonObject().put("stream_id", streamId()).put("prompt", "Hi"));
            assertRefused(client, "rejected", "a publish to the inference address");
            assertNull(client.poll(Duration.ofMillis(300)), "nothing else comes back");
            assertEquals(0, shardTasks.get(), "no shard saw a message from the bridge");

            // The counter does see shard traffic: a permitted request reaches both shards.
            JsonObject[] started = startStream(client, new JsonObject().put("prompt", "Hello").put("max_tokens", 2));
            assertEquals("done", readStream(client, started[0].getString("address")).getLast().getString("type"));
            assertTrue(shardTasks.get() > 0, "a real generation passes the interceptor");
        } finally {
            intercepted.forEach(v -> v.eventBus().removeInboundInterceptor(counter));
        }
    }

    private static void assertRefused(BridgeClient client, String reason, String what) throws InterruptedException {
        JsonObject frame = client.next();
        assertEquals("err", frame.getString("type"), what + ": " + frame.encode());
        assertEquals(reason, frame.getString("body"), what + ": " + frame.encode());
    }
}
