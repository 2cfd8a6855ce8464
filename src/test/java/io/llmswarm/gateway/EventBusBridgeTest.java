package io.llmswarm.gateway;

import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.coordinator.PipelineStateStore;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.llmswarm.gateway.BridgeClient.isRec;
import static io.llmswarm.gateway.BridgeClient.newStreamId;
import static io.llmswarm.gateway.GatewaySwarm.WAIT;
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

    @RegisterExtension
    static final GatewaySwarm swarm = GatewaySwarm.firstHalf();

    @Test
    @Order(1)
    void aBridgeClientHearsTheSwarmBecomeReadyWhenTheSecondNodeJoins() throws Exception {
        try (BridgeClient client = swarm.bridge(0)) {
            client.register(BridgeAddresses.EVENTS);
            // The register is handled in order with what follows; a round trip makes sure it is in place.
            JsonObject refused = client.startStream(new JsonObject().put("prompt", "Hello").put("max_tokens", 2)).reply();
            assertEquals(503, refused.getInteger("failureCode"), refused.encode());
            assertTrue(refused.getString("message").contains("4-7"), refused.encode());

            swarm.startSecondHalf();
            String second = swarm.node(1).nodeId();
            JsonObject event = client.next(f -> isRec(f, BridgeAddresses.EVENTS)
                    && f.getJsonObject("body").getBoolean("ready")).getJsonObject("body");
            assertEquals("swarm", event.getString("type"));
            assertTrue(event.getBoolean("ready_changed"), event.encode());
            assertEquals(new JsonArray(), event.getJsonArray("missing_layers"));
            assertEquals(2, event.getJsonObject("swarm").getJsonArray("shards").size(), event.encode());
            assertTrue(event.getJsonObject("swarm").getJsonArray("shards").stream()
                    .anyMatch(s -> second.equals(((JsonObject) s).getString("node_id"))), event.encode());
        }
    }

    @Test
    @Order(2)
    void aBridgeClientStreamsTheTokensOfPostApiInference() throws Exception {
        JsonObject request = new JsonObject().put("prompt", "Once upon a time").put("max_tokens", 16)
                .put("temperature", 0).put("ignore_eos", true);
        HttpResponse<String> http = swarm.http(1).post("/api/inference", request.encode());
        assertEquals(200, http.statusCode(), http.body());
        JsonObject expected = new JsonObject(http.body());

        try (BridgeClient client = swarm.bridge(0)) {
            BridgeClient.Started started = client.startStream(request);
            JsonObject reply = started.reply();
            assertEquals("rec", reply.getString("type"), reply.encode());
            assertNotNull(started.requestId(), reply.encode());
            List<JsonObject> messages = client.readStream(started.address());
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
            assertEquals(started.requestId(), done.getString("request_id"));
            assertEquals(2, done.getJsonObject("metadata").getJsonObject("shard_latencies").size(), done.encode());
        }
    }

    @Test
    @Order(3)
    void chatMessagesAreRenderedWithTheModelsTemplateAsTheOpenAiApiDoes() throws Exception {
        JsonArray messages = new JsonArray().add(new JsonObject().put("role", "user").put("content", "Tell me a story"));
        HttpResponse<String> openAi = swarm.http(0).post("/v1/chat/completions", new JsonObject().put("messages", messages)
                .put("max_tokens", 12).put("temperature", 0).encode());
        assertEquals(200, openAi.statusCode(), openAi.body());
        String expected = new JsonObject(openAi.body()).getJsonArray("choices").getJsonObject(0)
                .getJsonObject("message").getString("content");
        try (BridgeClient client = swarm.bridge(1)) {
            BridgeClient.Started started = client.startStream(new JsonObject().put("messages", messages).put("max_tokens", 12)
                    .put("temperature", 0));
            List<JsonObject> stream = client.readStream(started.address());
            JsonObject done = stream.getLast();
            assertEquals("done", done.getString("type"), done.encode());
            assertEquals(expected, done.getString("result"));
        }
    }

    @Test
    @Order(4)
    void unregisteringTheStreamCancelsTheGenerationAndFreesItsSessions() throws Exception {
        int maxTokens = 120;
        try (BridgeClient client = swarm.bridge(1)) {
            BridgeClient.Started started = client.startStream(new JsonObject().put("prompt", "Once upon a time")
                    .put("max_tokens", maxTokens).put("temperature", 0).put("ignore_eos", true));
            String requestId = started.requestId();
            String address = started.address();
            for (int i = 0; i < 2; i++) {
                assertEquals("token", client.nextOn(address).getString("type"));
            }
            client.unregister(address);
            swarm.awaitNoSessions();
            PipelineStateStore states = new PipelineStateStore(swarm.node(0).cluster().hazelcast(), Duration.ofMinutes(1));
            TestClusters.awaitTrue(WAIT, () -> states.find(requestId).map(s -> s.getString("status").equals("COMPLETED"))
                    .orElse(false), () -> "a final state: " + states.find(requestId));
            JsonObject state = states.find(requestId).orElseThrow();
            assertTrue(state.getInteger("tokens_generated") < maxTokens, "cancelled early: " + state.encode());
        }
    }

    @Test
    @Order(5)
    void aStreamBelongsToTheConnectionThatRegisteredItFirst() throws Exception {
        try (BridgeClient owner = swarm.bridge(0); BridgeClient other = swarm.bridge(0)) {
            String streamId = newStreamId();
            String address = BridgeAddresses.tokens(streamId);
            owner.register(address);
            owner.roundTrip(); // the owner's register is in place before the other's comes
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
        try (BridgeClient client = swarm.bridge(0)) {
            BridgeClient.Started tooMany = client.startStream(new JsonObject().put("prompt", "Hello").put("max_tokens", 100000));
            assertEquals(400, tooMany.reply().getInteger("failureCode"), tooMany.reply().encode());
            assertTrue(tooMany.reply().getString("message").contains("max_tokens"), tooMany.reply().encode());
            JsonObject error = client.nextOn(tooMany.address());
            assertEquals("error", error.getString("type"), error.encode());

            JsonObject noPrompt = client.startStream(new JsonObject().put("max_tokens", 3)).reply();
            assertEquals(400, noPrompt.getInteger("failureCode"), noPrompt.encode());
            assertTrue(noPrompt.getString("message").contains("\"prompt\""), noPrompt.encode());

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
        List<Vertx> intercepted = swarm.nodes().stream().map(n -> n.cluster().vertx()).toList();
        Handler<DeliveryContext<Object>> counter = context -> {
            if (context.message().address().startsWith(Addresses.SHARD_PREFIX)) {
                shardTasks.incrementAndGet();
            }
            context.next();
        };
        intercepted.forEach(v -> v.eventBus().addInboundInterceptor(counter));
        try (BridgeClient client = swarm.bridge(0)) {
            String shard = Addresses.shardExecute(swarm.node(1).nodeId());
            JsonObject task = new JsonObject().put("session", "x").put("tokens", new JsonArray().add(1));
            client.send(shard, task, null);
            assertRefused(client, "access_denied", "a send to " + shard);
            client.send(shard, task, "reply-shard");
            assertRefused(client, "access_denied", "a request to " + shard);
            client.publish(Addresses.shardRelease(swarm.node(0).nodeId()), new JsonObject().put("session", "x"));
            assertRefused(client, "access_denied", "a publish to a shard's release address");
            client.send(Addresses.GENERATE, new JsonObject().put("prompt", "Hello").put("max_tokens", 2), "reply-gen");
            assertRefused(client, "access_denied", "a send to the coordinators");
            client.register(shard);
            assertRefused(client, "access_denied", "a register for a shard's address");
            client.register(Addresses.STATUS);
            assertRefused(client, "access_denied", "a register for the coordinators' status");
            client.publish(BridgeAddresses.INFERENCE, new JsonObject().put("stream_id", newStreamId()).put("prompt", "Hi"));
            assertRefused(client, "rejected", "a publish to the inference address");
            assertNull(client.poll(Duration.ofMillis(300)), "nothing else comes back");
            assertEquals(0, shardTasks.get(), "no shard saw a message from the bridge");

            // The counter does see shard traffic: a permitted request reaches both shards.
            BridgeClient.Started started = client.startStream(new JsonObject().put("prompt", "Hello").put("max_tokens", 2));
            assertEquals("done", client.readStream(started.address()).getLast().getString("type"));
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
