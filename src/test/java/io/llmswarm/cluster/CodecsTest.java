package io.llmswarm.cluster;

import io.llmswarm.engine.LayerRange;
import io.llmswarm.sampling.SamplingConfig;
import io.llmswarm.sampling.TokenLogprob;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CodecsTest {

    private static final SamplingParams SAMPLING = new SamplingParams(
            SamplingConfig.defaults(42).withRepetitionPenalty(1.1f, 32), true, 3);

    private static ExecuteTask task(float[] hidden, HiddenEncoding encoding) {
        int[] tokens = {1, 300, 70000};
        TaskParams params = new TaskParams("session-1", "node-b", new LayerRange(8, 15), 17, false, SAMPLING, encoding);
        return new ExecuteTask(new Envelope(Envelope.EXECUTE_TASK, "req-1", "node-a", "node-b", 1234L), params,
                new TaskInput(tokens, hidden, hidden == null ? 0 : hidden.length / tokens.length));
    }

    private static float[] hidden(int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) Math.sin(i * 0.37) * (i + 1);
        }
        return values;
    }

    @Test
    void executeTaskRoundTripsWithF32HiddenStatesBitForBit() {
        ExecuteTask task = task(hidden(3 * 64), HiddenEncoding.F32);
        Buffer wire = Buffer.buffer().appendString("prefix");
        new ExecuteTaskCodec().encodeToWire(wire, task);
        ExecuteTask back = new ExecuteTaskCodec().decodeFromWire(6, wire);
        assertEquals(task.envelope(), back.envelope());
        assertEquals(task.params(), back.params());
        assertArrayEquals(task.input().tokens(), back.input().tokens());
        assertArrayEquals(task.input().hidden(), back.input().hidden());
        assertEquals(64, back.input().width());
    }

    @Test
    void headerIsSmallJsonWithTheEnvelopeAndTheBodyIsLittleEndianFloats() {
        ExecuteTask task = task(hidden(3 * 64), HiddenEncoding.F32);
        Buffer wire = Buffer.buffer();
        new ExecuteTaskCodec().encodeToWire(wire, task);
        JsonObject header = Frames.readHeader(wire, 0);
        assertEquals("EXECUTE_TASK", header.getString("command"));
        assertEquals("req-1", header.getString("request_id"));
        assertEquals("node-a", header.getString("from"));
        JsonObject params = header.getJsonObject("params");
        assertEquals(8, params.getInteger("layer_start"));
        assertEquals(15, params.getInteger("layer_end"));
        assertEquals("hidden", params.getString("input_type"));
        assertEquals(List.of(3, 64), params.getJsonArray("shape").getList());
        assertFalse(params.getBoolean("is_final_shard"));
        assertTrue(header.encode().length() < 600, "header stays small: " + header.encode());
        int body = MessageProof.read(wire, 0, ClusterSecret.none()).bodyStart();
        assertEquals(wire.length(), body + 3 * 4 + 3 * 64 * 4);
        assertEquals(70000, wire.getIntLE(body + 8));
        assertEquals(Float.floatToIntBits(task.input().hidden()[1]), wire.getIntLE(body + 12 + 4));
    }

    @Test
    void f16BodyHalvesTheBytesAndRoundsAsHalfPrecision() {
        float[] values = hidden(2 * 3 * 32);
        ExecuteTask task = task(values, HiddenEncoding.F16);
        Buffer wire = Buffer.buffer();
        new ExecuteTaskCodec().encodeToWire(wire, task);
        assertEquals(MessageProof.read(wire, 0, ClusterSecret.none()).bodyStart() + 3 * 4 + values.length * 2, wire.length());
        float[] back = new ExecuteTaskCodec().decodeFromWire(0, wire).input().hidden();
        for (int i = 0; i < values.length; i++) {
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(values[i])), back[i]);
        }
    }

    @Test
    void firstShardTaskCarriesOnlyTokenIds() {
        ExecuteTask task = task(null, HiddenEncoding.F32);
        Buffer wire = Buffer.buffer();
        new ExecuteTaskCodec().encodeToWire(wire, task);
        ExecuteTask back = new ExecuteTaskCodec().decodeFromWire(0, wire);
        assertNull(back.input().hidden());
        assertArrayEquals(new int[] {1, 300, 70000}, back.input().tokens());
        assertEquals(MessageProof.read(wire, 0, ClusterSecret.none()).bodyStart() + 12, wire.length());
    }

    @Test
    void repliesRoundTripHiddenSampledAndError() {
        TaskReplyCodec codec = new TaskReplyCodec();
        Envelope envelope = new Envelope(Envelope.TASK_RESULT, "req-2", "b", "a", 99L);
        TaskReply hidden = TaskReply.ok(envelope, new TaskResult.Hidden(hidden(2 * 16), 2, 16), 777);
        TaskReply sampled = TaskReply.ok(envelope, new TaskResult.Sampled(42, -0.25f,
                List.of(new TokenLogprob(42, -0.25f), new TokenLogprob(7, -1.5f))), 5);
        TaskReply error = TaskReply.failed(envelope, "shard b (layers 8-15): context_full");
        for (TaskReply reply : List.of(hidden, sampled, error)) {
            Buffer wire = Buffer.buffer();
            codec.encodeToWire(wire, reply);
            TaskReply back = codec.decodeFromWire(0, wire);
            assertEquals(reply.envelope(), back.envelope());
            assertEquals(reply.error(), back.error());
            assertEquals(reply.engineNanos(), back.engineNanos());
            switch (reply.result()) {
                case null -> assertNull(back.result());
                case TaskResult.Hidden h -> assertArrayEquals(h.states(), ((TaskResult.Hidden) back.result()).states());
                case TaskResult.Sampled s -> assertEquals(s, back.result());
            }
        }
    }

    @Test
    void aMalformedReplyIsRefusedNamingWhatIsWrongAndTheStepItClaimsToAnswer() {
        String results = Addresses.coordinatorResults("node-a.1");
        Relay relay = new Relay(results, 7, 1, List.of(), List.of(new Relay.HopTime(1, 2), new Relay.HopTime(3, 4)));
        Envelope envelope = new Envelope(Envelope.TASK_RESULT, "req-3", "b", results, 99L);
        TaskReply hidden = TaskReply.ok(envelope, new TaskResult.Hidden(hidden(2 * 4), 2, 4), 777).relayed(relay);
        TaskReply sampled = TaskReply.ok(envelope, new TaskResult.Sampled(42, -0.25f, List.of(new TokenLogprob(42, -0.25f))),
                5).relayed(relay);
        Object[][] mutations = {
                {hidden, "result", "shape", new JsonArray().add(3).add(4), "the body holds 32 bytes"},
                {hidden, "result", "shape", new JsonArray().add(2), "\"shape\" must be [rows, width]"},
                {hidden, "result", "shape", "2x4", "\"shape\" must be [rows, width]"},
                {hidden, "result", "dtype", "F64", "\"dtype\" must be F32 or F16"},
                {hidden, "result", "type", "pixels", "\"result.type\" must be hidden or token"},
                {sampled, "result", "token", "forty-two", "\"token\" must be an integer"},
                {sampled, "result", "logprob", "high", "\"logprob\" must be a number"},
                {sampled, "result", "draws", -1, "\"draws\" must be >= 0"},
                {sampled, "result", "top_logprobs", "many", "\"top_logprobs\" must be an array"},
                {sampled, null, "status", "fine", "\"status\" must be ok or error"},
                {sampled, null, "error", "and also an error", "an ok reply needs a \"result\" object and no error"},
                {sampled, null, "engine_nanos", "fast", "\"engine_nanos\" must be a whole number"},
                {sampled, null, "command", "EXECUTE_TASK", "\"command\" must be TASK_RESULT"},
                {sampled, null, "from", 12, "\"from\" must be a string"},
                {sampled, null, "relay", "everyone", "\"relay\" must be an object"},
        };
        for (Object[] m : mutations) {
            Buffer wire = Buffer.buffer();
            new TaskReplyCodec().encodeToWire(wire, (TaskReply) m[0]);
            MessageProof.Read read = MessageProof.read(wire, 0, ClusterSecret.none());
            JsonObject header = read.header().copy();
            (m[1] == null ? header : header.getJsonObject((String) m[1])).put((String) m[2], m[3]);
            Buffer headerBytes = header.toBuffer();
            Buffer bad = Buffer.buffer().appendInt(headerBytes.length()).appendBuffer(headerBytes).appendInt(0)
                    .appendBuffer(wire.getBuffer(read.bodyStart(), wire.length()));
            TaskReplyCodec.Malformed e = Assertions.assertThrows(TaskReplyCodec.Malformed.class,
                    () -> new TaskReplyCodec().decodeFromWire(0, bad), () -> "accepted with " + m[2] + " = " + m[3]);
            assertTrue(e.getMessage().contains((String) m[4]), m[2] + ": " + e.getMessage());
            assertEquals("req-3", e.requestId());
            if (!m[2].equals("relay")) {
                assertEquals(7, e.step());
                assertEquals(1, e.hop());
            }
        }
        // A body longer or shorter than the result needs.
        for (TaskReply reply : List.of(hidden, sampled, TaskReply.failed(envelope, "x").relayed(relay))) {
            Buffer wire = Buffer.buffer();
            new TaskReplyCodec().encodeToWire(wire, reply);
            Assertions.assertThrows(TaskReplyCodec.Malformed.class,
                    () -> new TaskReplyCodec().decodeFromWire(0, wire.copy().appendByte((byte) 1)));
        }
    }

    @Test
    void localDeliveryHandsOverItsOwnCopyOfWhatIsMutable() {
        ExecuteTask task = task(hidden(3), HiddenEncoding.F32);
        ExecuteTask delivered = new ExecuteTaskCodec().transform(task);
        assertEquals(task.params(), delivered.params());
        assertArrayEquals(task.input().tokens(), delivered.input().tokens());
        assertArrayEquals(task.input().hidden(), delivered.input().hidden());
        // The sender reusing its arrays after sending does not reach the consumer.
        task.input().tokens()[0] = 99;
        task.input().hidden()[0] = -1f;
        assertEquals(1, delivered.input().tokens()[0]);
        assertEquals(hidden(3)[0], delivered.input().hidden()[0]);

        Envelope envelope = task.envelope().reply();
        TaskReply hiddenReply = TaskReply.ok(envelope, new TaskResult.Hidden(hidden(4), 2, 2), 5);
        TaskReply deliveredHidden = new TaskReplyCodec().transform(hiddenReply);
        ((TaskResult.Hidden) hiddenReply.result()).states()[1] = 42f;
        assertEquals(hidden(4)[1], ((TaskResult.Hidden) deliveredHidden.result()).states()[1]);
        assertEquals(5, deliveredHidden.engineNanos());
        List<TokenLogprob> top = new ArrayList<>(List.of(new TokenLogprob(7, -0.5f)));
        TaskReply sampled = TaskReply.ok(envelope, new TaskResult.Sampled(7, -0.5f, top, 3), 1);
        TaskReply deliveredSampled = new TaskReplyCodec().transform(sampled);
        top.clear();
        assertEquals(List.of(new TokenLogprob(7, -0.5f)), ((TaskResult.Sampled) deliveredSampled.result()).topLogprobs());
        // Nothing mutable in an error reply or a session release: passed as they are.
        TaskReply failed = TaskReply.failed(envelope, "x");
        assertSame(failed, new TaskReplyCodec().transform(failed));
        SessionRelease release = new SessionRelease("session-1", "done");
        assertSame(release, new SessionReleaseCodec().transform(release));
    }

    @Test
    void codecsAreRegisteredOncePerVertxWithThatVertxsSecret() {
        Vertx signed = Vertx.vertx();
        Vertx plain = Vertx.vertx();
        try {
            ClusterSecret secret = ClusterSecret.of("a cluster secret of some length");
            SwarmCodecs.register(signed, secret);
            // A second registration is a no-op, not a duplicate-codec error, and keeps the first secret.
            SwarmCodecs.register(signed, ClusterSecret.none());
            assertSame(secret, SwarmCodecs.secret(signed));
            assertFalse(SwarmCodecs.secret(plain).enabled());
            SwarmCodecs.register(plain);
            assertFalse(SwarmCodecs.secret(plain).enabled());
            assertTrue(SignedJson.seal(signed, SignedJson.STATUS, new JsonObject()) instanceof SignedJson);
            assertTrue(SignedJson.seal(plain, SignedJson.STATUS, new JsonObject()) instanceof JsonObject);
        } finally {
            signed.close();
            plain.close();
        }
    }

    @Test
    void truncatedBodyIsRejectedWithWhatWasExpected() {
        ExecuteTask task = task(hidden(3 * 8), HiddenEncoding.F32);
        Buffer wire = Buffer.buffer();
        new ExecuteTaskCodec().encodeToWire(wire, task);
        Buffer cut = wire.getBuffer(0, wire.length() - 4);
        var e = Assertions.assertThrows(IllegalArgumentException.class,
                () -> new ExecuteTaskCodec().decodeFromWire(0, cut));
        assertTrue(e.getMessage().contains("shape [3, 8] of hidden in F32 needs 108"), e.getMessage());
    }

    @Test
    void aRelayTravelsWithTheStepAndItsAnswer() {
        String results = Addresses.coordinatorResults("node-a.1");
        Relay relay = new Relay(results, 7, 1, List.of(new Relay.Next("node-c", new LayerRange(16, 23)),
                new Relay.Next("node-d", new LayerRange(24, 31))), List.of(new Relay.HopTime(5_000_000L, 6_000_000L)));
        ExecuteTask plain = task(hidden(3 * 8), HiddenEncoding.F32);
        ExecuteTask task = new ExecuteTask(plain.envelope(), plain.params(), plain.input(), relay);
        Buffer wire = Buffer.buffer();
        new ExecuteTaskCodec().encodeToWire(wire, task);
        Relay back = new ExecuteTaskCodec().decodeFromWire(0, wire).relay();
        assertEquals(relay, back);
        Relay third = back.onward(new Relay.HopTime(1, 2));
        assertEquals(2, third.hop());
        assertEquals(List.of(new Relay.Next("node-d", new LayerRange(24, 31))), third.next());
        Relay fourth = third.onward(new Relay.HopTime(3, 4));
        assertTrue(fourth.isLast());
        Relay answered = fourth.answered(new Relay.HopTime(5, 6));
        assertEquals(3, answered.hop());
        assertEquals(4, answered.times().size());

        TaskReply reply = TaskReply.ok(new Envelope(Envelope.TASK_RESULT, "req-1", "node-d", results, 1L),
                new TaskResult.Sampled(9, -0.5f, List.of()), 5).relayed(answered);
        Buffer replyWire = Buffer.buffer();
        new TaskReplyCodec().encodeToWire(replyWire, reply);
        assertEquals(answered, new TaskReplyCodec().decodeFromWire(0, replyWire).relay());
        assertNull(new ExecuteTaskCodec().decodeFromWire(0, encoded(plain)).relay(), "a step without relay is answered");
    }

    @Test
    void aReplayedSessionCarriesTheDrawsItsSamplerHadTaken() {
        ExecuteTask plain = task(null, HiddenEncoding.F32);
        TaskParams p = plain.params();
        TaskParams replay = new TaskParams(p.sessionId(), p.shardId(), p.layers(), 0, true, p.sampling(), p.encoding(), 17);
        ExecuteTask task = new ExecuteTask(plain.envelope(), replay, plain.input());
        assertEquals(replay, new ExecuteTaskCodec().decodeFromWire(0, encoded(task)).params());
        assertEquals(replay, replay.forHop("node-c", new LayerRange(16, 31), true).forHop("node-b", p.layers(), true));
        TaskReply reply = TaskReply.ok(task.envelope().reply(), new TaskResult.Sampled(9, -0.5f, List.of(), 18), 1);
        Buffer wire = Buffer.buffer();
        new TaskReplyCodec().encodeToWire(wire, reply);
        assertEquals(18, ((TaskResult.Sampled) new TaskReplyCodec().decodeFromWire(0, wire).result()).draws());
    }

    /**
     * A first step after a cached prefix carries the prefix's token ids between the step's and
     * the hidden states; a header whose position is not the prefix's length, or a body whose length
     * does not fit the prefix, is refused.
     */
    @Test
    void aStepAfterACachedPrefixCarriesItsTokenIds() {
        int[] prefix = new int[17];
        Arrays.setAll(prefix, i -> 100 + i);
        ExecuteTask plain = task(hidden(3 * 64), HiddenEncoding.F16);
        ExecuteTask task = new ExecuteTask(plain.envelope(), plain.params(),
                new TaskInput(plain.input().tokens(), plain.input().hidden(), 64, prefix));
        ExecuteTask back = new ExecuteTaskCodec().decodeFromWire(0, encoded(task));
        assertArrayEquals(prefix, back.input().prefix());
        assertArrayEquals(task.input().tokens(), back.input().tokens());
        assertEquals(3 * 64, back.input().hidden().length);
        assertEquals(17, Frames.readHeader(encoded(task), 0).getJsonObject("params").getInteger("prefix_tokens"));
        assertEquals(0, new ExecuteTaskCodec().decodeFromWire(0, encoded(plain)).input().prefix().length);

        JsonObject header = Frames.readHeader(encoded(task), 0);
        header.getJsonObject("params").put("prefix_tokens", 16);
        Buffer wrongPosition = Buffer.buffer();
        MessageProof.write(wrongPosition, header, ClusterSecret.none(), body -> body.appendBytes(new byte[4 * 3 + 4 * 16 + 2 * 3 * 64]));
        var e = Assertions.assertThrows(IllegalArgumentException.class,
                () -> new ExecuteTaskCodec().decodeFromWire(0, wrongPosition));
        assertTrue(e.getMessage().contains("must start at position 16"), e.getMessage());
        Buffer cut = encoded(task);
        Buffer shorter = cut.getBuffer(0, cut.length() - 4);
        Assertions.assertThrows(IllegalArgumentException.class,
                () -> new ExecuteTaskCodec().decodeFromWire(0, shorter));
    }

    @Test
    void aRelayThatSendsResultsElsewhereThanACoordinatorIsRefused() {
        ExecuteTask plain = task(null, HiddenEncoding.F32);
        JsonObject header = Frames.readHeader(encoded(plain), 0);
        header.put("relay", new JsonObject().put("reply_to", "llm.coordinator.generate").put("step", 1).put("hop", 0)
                .put("next", new JsonArray()).put("times", new JsonArray()));
        Buffer forged = Buffer.buffer();
        MessageProof.write(forged, header, ClusterSecret.none(), body -> body.appendIntLE(1).appendIntLE(300).appendIntLE(70000));
        var e = Assertions.assertThrows(IllegalArgumentException.class,
                () -> new ExecuteTaskCodec().decodeFromWire(0, forged));
        assertTrue(e.getMessage().contains("results address"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Relay("llm.shard.x.execute", 1, 0, List.of(), List.of()));
    }

    private static Buffer encoded(ExecuteTask task) {
        Buffer wire = Buffer.buffer();
        new ExecuteTaskCodec().encodeToWire(wire, task);
        return wire;
    }
}
