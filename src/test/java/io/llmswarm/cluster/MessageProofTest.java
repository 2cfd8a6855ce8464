package io.llmswarm.cluster;

import io.llmswarm.engine.LayerRange;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Signed steps: what a shard with the secret accepts, and what it refuses and why. */
class MessageProofTest {

    private static final ClusterSecret SECRET = ClusterSecret.of("correct horse battery staple");
    private static final ClusterSecret OTHER = ClusterSecret.of("another swarm's secret value");

    private static ExecuteTask task(long timestamp) {
        TaskParams params = new TaskParams("s1", "node-b", new LayerRange(4, 7), 0, false,
                new SamplingParams(SamplingConfig.greedy(), false, 0), HiddenEncoding.F32);
        return new ExecuteTask(new Envelope(Envelope.EXECUTE_TASK, "r1", "node-a", "node-b", timestamp), params,
                new TaskInput(new int[] {1, 2}, new float[] {0.5f, -1f, 2f, 3f}, 2));
    }

    private static Buffer encode(ClusterSecret secret, ExecuteTask task) {
        Buffer wire = Buffer.buffer();
        new ExecuteTaskCodec(secret).encodeToWire(wire, task);
        return wire;
    }

    private static String refusal(ClusterSecret receiver, Buffer wire) {
        var e = assertThrows(MessageProof.RejectedException.class, () -> new ExecuteTaskCodec(receiver).decodeFromWire(0, wire));
        return e.getMessage();
    }

    @Test
    void aSignedStepIsAcceptedByANodeWithTheSameSecret() {
        ExecuteTask back = new ExecuteTaskCodec(SECRET).decodeFromWire(0, encode(SECRET, task(System.currentTimeMillis())));
        assertArrayEquals(new float[] {0.5f, -1f, 2f, 3f}, back.input().hidden());
        assertEquals("s1", back.params().sessionId());
    }

    @Test
    void unsignedOtherSecretTamperedAndReplayedStepsAreRefusedNamingWhy() {
        long now = System.currentTimeMillis();
        assertTrue(refusal(SECRET, encode(ClusterSecret.none(), task(now))).contains("no cluster proof"));
        assertTrue(refusal(SECRET, encode(OTHER, task(now))).contains("not valid"));
        Buffer tampered = encode(SECRET, task(now));
        tampered.setByte(tampered.length() - 1, (byte) (tampered.getByte(tampered.length() - 1) ^ 1));
        assertTrue(refusal(SECRET, tampered).contains("not valid"));
        String replay = refusal(SECRET, encode(SECRET, task(now - MessageProof.WINDOW.toMillis() - 5000)));
        assertTrue(replay.contains("outside this node's window"), replay);
        // A node without a secret takes unsigned and signed steps alike, as before.
        new ExecuteTaskCodec().decodeFromWire(0, encode(SECRET, task(now)));
    }

    @Test
    void truncatedOversizedAndMisshapenBodiesAreMalformedNotProofFailures() {
        Buffer wire = encode(ClusterSecret.none(), task(1));
        var truncated = assertThrows(MessageProof.RejectedException.class,
                () -> new ExecuteTaskCodec().decodeFromWire(0, wire.getBuffer(0, wire.length() - 3)));
        assertFalse(truncated.badProof());
        assertTrue(truncated.getMessage().contains("needs 24"), truncated.getMessage());
        Buffer longer = wire.copy().appendBytes(new byte[4096]);
        assertTrue(assertThrows(MessageProof.RejectedException.class,
                () -> new ExecuteTaskCodec().decodeFromWire(0, longer)).getMessage().contains("body holds"));
        assertTrue(assertThrows(MessageProof.RejectedException.class,
                () -> new ExecuteTaskCodec().decodeFromWire(0, Buffer.buffer(new byte[] {0, 0, 0, 9, '{'})))
                .getMessage().contains("header length"));
    }

    @Test
    void aForgedReplyIsRefusedByACoordinatorWithTheSecret() {
        TaskReply reply = TaskReply.ok(new Envelope(Envelope.TASK_RESULT, "r1", "node-b", "node-a",
                System.currentTimeMillis()), new TaskResult.Hidden(new float[] {1f, 2f}, 1, 2), 5);
        Buffer signed = Buffer.buffer();
        new TaskReplyCodec(SECRET).encodeToWire(signed, reply);
        assertArrayEquals(new float[] {1f, 2f}, ((TaskResult.Hidden) new TaskReplyCodec(SECRET).decodeFromWire(0, signed)
                .result()).states());
        Buffer forged = Buffer.buffer();
        new TaskReplyCodec(OTHER).encodeToWire(forged, reply);
        assertThrows(MessageProof.RejectedException.class, () -> new TaskReplyCodec(SECRET).decodeFromWire(0, forged));
    }

    @Test
    void signedJsonRoundTripsWithTheSecretAndIsRefusedUnsignedOtherwiseSignedOrStale() {
        SignedJson message = new SignedJson(SignedJson.REPLICA_REQUEST, new JsonObject().put("prompt", "Hi"));
        Buffer signed = Buffer.buffer();
        new SignedJsonCodec(SECRET).encodeToWire(signed, message);
        assertEquals(message, new SignedJsonCodec(SECRET).decodeFromWire(0, signed));
        for (SignedJsonCodec sender : new SignedJsonCodec[] {new SignedJsonCodec(ClusterSecret.none()),
                new SignedJsonCodec(OTHER), new SignedJsonCodec(SECRET, () -> System.currentTimeMillis() - 300_000)}) {
            Buffer wire = Buffer.buffer();
            sender.encodeToWire(wire, message);
            assertTrue(assertThrows(MessageProof.RejectedException.class,
                    () -> new SignedJsonCodec(SECRET).decodeFromWire(0, wire)).badProof());
        }
        var malformed = assertThrows(MessageProof.RejectedException.class, () -> new SignedJsonCodec(SECRET)
                .decodeFromWire(0, encode(SECRET, task(System.currentTimeMillis()))));
        assertFalse(malformed.badProof(), malformed.getMessage());
    }

    @Test
    void theHazelcastClusterNameDependsOnTheSecret() {
        assertEquals("swarm", ClusterSecret.none().hazelcastClusterName("swarm"));
        assertNotEquals(SECRET.hazelcastClusterName("swarm"), OTHER.hazelcastClusterName("swarm"));
        assertEquals(SECRET.hazelcastClusterName("swarm"), ClusterSecret.of("correct horse battery staple")
                .hazelcastClusterName("swarm"));
        assertThrows(IllegalArgumentException.class, () -> ClusterSecret.of("short"));
    }
}
