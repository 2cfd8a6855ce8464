package io.llmswarm.gateway;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's limits hold for generations started over the event-bus bridge, on two in-JVM nodes
 * (layers 0-3 and 4-7) with {@code --max-concurrent 1}. A running generation is kept running by
 * holding its steps at the first shard ({@link ShardStepGate}), so no test depends on how fast the
 * model is: while it runs, another bridge request (or an HTTP one) is refused with 503 and a retry
 * hint and starts nothing on the shards; once it ends, or its client disconnects, a new one is taken.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class BridgeLimitsTest {

    @RegisterExtension
    static final GatewaySwarm swarm = GatewaySwarm.ready(
            new GatewaySettings("127.0.0.1", ApiKeys.none(), new GatewayLimits(1, 1)));

    /** The bridge's refusal for the node's limit of one generation. */
    private static void assertRefusedForTheLimit(BridgeClient client, BridgeClient.Started refused) throws Exception {
        assertRefusedForALimit(client, refused, 503, "limit of 1 generations (max_concurrent)");
    }

    /** A bridge refusal for a limit: a failure with {@code status} naming the limit and when to retry, and the stream's error. */
    static void assertRefusedForALimit(BridgeClient client, BridgeClient.Started refused, int status, String limit)
            throws Exception {
        JsonObject reply = refused.reply();
        assertEquals("err", reply.getString("type"), reply.encode());
        assertEquals(status, reply.getInteger("failureCode"), reply.encode());
        String message = reply.getString("message");
        assertTrue(message.contains(limit), message);
        assertTrue(message.contains("try again in 1 s"), message);
        JsonObject error = client.nextOn(refused.address());
        assertEquals("error", error.getString("type"), error.encode());
        assertEquals(status, error.getInteger("code"), error.encode());
        assertEquals(1, error.getInteger("retry_after"), error.encode());
        assertEquals(message, error.getString("error"));
    }

    static JsonObject request(int maxTokens) {
        return new JsonObject().put("prompt", "Once upon a time").put("max_tokens", maxTokens).put("temperature", 0)
                .put("ignore_eos", true);
    }

    @Test
    void whileOneBridgeGenerationRunsAnotherIsRefusedAndStartsNothingThenOneIsTakenAfterItEnds() throws Exception {
        ShardStepGate gate = swarm.stepGate();
        Set<String> before = gate.requestIds();
        try (BridgeClient first = swarm.bridge(1); BridgeClient second = swarm.bridge(1)) {
            gate.hold();
            BridgeClient.Started running = first.startStream(request(6));
            assertNotNull(running.requestId(), running.reply().encode());
            gate.awaitHeld(1);

            BridgeClient.Started refused = second.startStream(request(6));
            assertRefusedForTheLimit(second, refused);
            // The node's places are its HTTP API's as well.
            HttpResponse<String> http = swarm.http(1).post("/api/inference", request(2).encode());
            assertEquals(503, http.statusCode(), http.body());
            assertEquals("1", http.headers().firstValue("Retry-After").orElse(""));
            assertTrue(new JsonObject(http.body()).getString("error").contains("max_concurrent"), http.body());

            gate.letThrough();
            assertEquals("done", first.readStream(running.address()).getLast().getString("type"));
            // The place is given back before the stream's "done" is sent, so a request now is taken.
            BridgeClient.Started next = second.startStream(request(3));
            assertNotNull(next.requestId(), next.reply().encode());
            assertEquals("done", second.readStream(next.address()).getLast().getString("type"));
            Set<String> seen = new HashSet<>(gate.requestIds());
            seen.removeAll(before);
            assertEquals(Set.of(running.requestId(), next.requestId()), seen, "only the two admitted generations reached a shard");
        }
    }

    @Test
    void aBridgeClientThatDisconnectsGivesItsPlaceBack() throws Exception {
        ShardStepGate gate = swarm.stepGate();
        BridgeClient leaving = swarm.bridge(1);
        try (BridgeClient staying = swarm.bridge(1)) {
            gate.hold();
            BridgeClient.Started held = leaving.startStream(request(100));
            assertNotNull(held.requestId(), held.reply().encode());
            gate.awaitHeld(1);
            assertRefusedForTheLimit(staying, staying.startStream(request(3)));

            leaving.close();
            // Its step is still held at the shard: only the disconnect can have freed the place.
            BridgeClient.Started taken = startOnceFree(staying, request(3));
            gate.letThrough();
            assertEquals("done", staying.readStream(taken.address()).getLast().getString("type"));
        }
        swarm.awaitNoSessions();
    }

    /**
     * Starts {@code request} once the node has taken back a place: the bridge hears of a closed
     * connection on its event loop, which may come just after the client asks, so 503 until then;
     * taken within 10 s.
     */
    private static BridgeClient.Started startOnceFree(BridgeClient client, JsonObject request) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            BridgeClient.Started started = client.startStream(request);
            if (!"err".equals(started.reply().getString("type"))) {
                return started;
            }
            assertRefusedForTheLimit(client, started);
            assertTrue(System.nanoTime() < deadline, "a place within 10 s of the disconnect");
            Thread.sleep(100);
        }
    }
}
