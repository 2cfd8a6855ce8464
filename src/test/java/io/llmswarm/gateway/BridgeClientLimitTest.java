package io.llmswarm.gateway;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.llmswarm.gateway.BridgeLimitsTest.assertRefusedForALimit;
import static io.llmswarm.gateway.BridgeLimitsTest.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * On the event-bus bridge a client is its API key, as on HTTP, not its connection: with
 * {@code --max-concurrent 2 --max-concurrent-per-client 1}, a second connection with the same key
 * is refused with 429 while the first runs (and so is that key over HTTP), and another key is taken.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BridgeClientLimitTest {

    private static final String KEY_A = "client-a-key";
    private static final String KEY_B = "client-b-key";

    @RegisterExtension
    static final GatewaySwarm swarm = GatewaySwarm.ready(
            new GatewaySettings("127.0.0.1", ApiKeys.of(List.of(KEY_A, KEY_B)), new GatewayLimits(2, 1)));

    @Test
    void aSecondConnectionWithTheSameKeyIsRefused429AndAnotherKeyIsTaken() throws Exception {
        ShardStepGate gate = swarm.stepGate();
        try (BridgeClient first = swarm.bridge(1, KEY_A); BridgeClient sameKey = swarm.bridge(1, KEY_A);
             BridgeClient otherKey = swarm.bridge(1, KEY_B)) {
            gate.hold();
            BridgeClient.Started running = first.startStream(request(6));
            assertNotNull(running.requestId(), running.reply().encode());
            gate.awaitHeld(1);

            assertRefusedForALimit(sameKey, sameKey.startStream(request(3)), 429,
                    "this client already runs 1 generations on this node (max_concurrent_per_client)");
            HttpResponse<String> http = swarm.http(1).post("/api/inference", KEY_A, request(2).encode());
            assertEquals(429, http.statusCode(), http.body());

            BridgeClient.Started other = otherKey.startStream(request(3));
            assertNotNull(other.requestId(), other.reply().encode());
            gate.letThrough();
            assertEquals("done", first.readStream(running.address()).getLast().getString("type"));
            assertEquals("done", otherKey.readStream(other.address()).getLast().getString("type"));
        }
    }
}
