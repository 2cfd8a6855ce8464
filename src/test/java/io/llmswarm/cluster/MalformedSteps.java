package io.llmswarm.cluster;

import io.llmswarm.engine.LayerRange;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Random;
import java.util.UUID;

/**
 * Seeded malformed EXECUTE_TASK messages for a shard holding all 8 layers of a 64-wide model:
 * random bytes, truncated or overlong bodies, headers with a field of the wrong type or value,
 * and well-framed steps the shard must refuse (layers it does not hold, a wrong final flag, hidden
 * states of the wrong width or with NaN and infinities, token ids outside the vocabulary,
 * positions that skip ahead, relays that would send results elsewhere than to a coordinator or
 * are malformed). Each opens a session of its own, so none may be left open.
 */
final class MalformedSteps {

    static final int WIDTH = 64;

    private final Random random;

    MalformedSteps(long seed) {
        this.random = new Random(seed);
    }

    /** Bytes to send under the EXECUTE_TASK codec's name. */
    Buffer next() {
        return switch (random.nextInt(6)) {
            case 0 -> randomBytes(random.nextInt(400));
            case 1 -> truncated(encode(validHidden()));
            case 2 -> encode(validHidden()).appendBytes(new byte[1 + random.nextInt(random.nextInt(20) == 0 ? 4 << 20 : 4096)]);
            case 3 -> mutatedHeader(validHidden());
            default -> encode(wrongStep());
        };
    }

    private Buffer randomBytes(int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        return Buffer.buffer(bytes);
    }

    private Buffer truncated(Buffer wire) {
        return wire.getBuffer(0, random.nextInt(wire.length()));
    }

    private static Buffer encode(ExecuteTask task) {
        Buffer wire = Buffer.buffer();
        new ExecuteTaskCodec().encodeToWire(wire, task);
        return wire;
    }

    private ExecuteTask task(LayerRange layers, int position, boolean last, TaskInput input) {
        TaskParams params = new TaskParams("fuzz-" + UUID.randomUUID(), "node", layers, position, last,
                new SamplingParams(SamplingConfig.greedy(), false, 0), HiddenEncoding.F32);
        return new ExecuteTask(Envelope.now(Envelope.EXECUTE_TASK, "fuzz", "fuzzer", "node"), params, input);
    }

    /** Layers 4-7 of a two-token step from hidden states: well formed, the base of the header mutations. */
    private ExecuteTask validHidden() {
        float[] hidden = new float[2 * WIDTH];
        for (int i = 0; i < hidden.length; i++) {
            hidden[i] = (float) random.nextGaussian();
        }
        return task(new LayerRange(4, 7), 0, true, new TaskInput(new int[] {1, 2}, hidden, WIDTH));
    }

    private ExecuteTask wrongStep() {
        float[] hidden = new float[2 * WIDTH];
        return switch (random.nextInt(7)) {
            case 0 -> task(new LayerRange(4, 9), 0, true, new TaskInput(new int[] {1, 2}, hidden, WIDTH));
            case 1 -> task(new LayerRange(4, 6), 0, true, new TaskInput(new int[] {1, 2}, hidden, WIDTH));
            case 2 -> task(new LayerRange(0, 3), 0, false, new TaskInput(new int[] {1, 2}, hidden, WIDTH));
            case 3 -> {
                float[] bad = hidden.clone();
                bad[random.nextInt(bad.length)] = random.nextBoolean() ? Float.NaN : Float.NEGATIVE_INFINITY;
                yield task(new LayerRange(4, 7), 0, true, new TaskInput(new int[] {1, 2}, bad, WIDTH));
            }
            case 4 -> task(new LayerRange(4, 7), 0, true, new TaskInput(new int[] {1, 2}, new float[2 * 3], 3));
            case 5 -> task(new LayerRange(0, 7), 0, true, TaskInput.tokens(1, 1 << 30));
            default -> task(new LayerRange(0, 7), 50 + random.nextInt(50), true, TaskInput.tokens(1, 2));
        };
    }

    private Buffer mutatedHeader(ExecuteTask task) {
        Buffer wire = encode(task);
        MessageProof.Read read = MessageProof.read(wire, 0, ClusterSecret.none());
        JsonObject header = read.header().copy();
        JsonObject params = header.getJsonObject("params");
        Object[][] mutations = {
                {"shape", new JsonArray().add(-1).add(WIDTH)}, {"shape", new JsonArray().add(2)},
                {"shape", new JsonArray().add(2).add(1 << 30)}, {"shape", "2x64"}, {"dtype", "F64"}, {"dtype", 16},
                {"input_type", "pixels"}, {"layer_start", "four"}, {"layer_end", -3}, {"position", -1},
                {"session_id", 12}, {"sampling", "greedy"}, {"ignore_eos", "no"}, {"is_final_shard", null},
                {"top_logprobs", 1.5}};
        Object[] mutation = mutations[random.nextInt(mutations.length)];
        JsonObject relay = new JsonObject().put("reply_to", Addresses.coordinatorResults("fuzz")).put("step", 1)
                .put("hop", 0).put("next", new JsonArray()).put("times", new JsonArray());
        Object[][] relayMutations = {
                {"reply_to", "llm.coordinator.generate"}, {"reply_to", 7}, {"step", "one"}, {"hop", -1},
                {"next", "everyone"}, {"next", new JsonArray().add(new JsonObject().put("node_id", "x"))},
                {"times", new JsonArray().add(new JsonArray().add("slow").add(1))}, {"times", new JsonArray().add(1).add(2)}};
        if (random.nextInt(6) == 0) {
            // A relay the codec must refuse: one that it took would send its result elsewhere, not answer here.
            Object[] broken = relayMutations[random.nextInt(relayMutations.length)];
            header.put("relay", random.nextInt(8) == 0 ? "to everyone" : relay.put((String) broken[0], broken[1]));
        } else if (random.nextInt(8) == 0) {
            header.remove("params");
        } else if (random.nextInt(8) == 0) {
            header.put("command", "DROP_TABLES");
        } else if (mutation[1] == null) {
            params.putNull((String) mutation[0]);
        } else {
            params.put((String) mutation[0], mutation[1]);
        }
        Buffer headerBytes = header.toBuffer();
        return Buffer.buffer().appendInt(headerBytes.length()).appendBuffer(headerBytes).appendInt(0)
                .appendBuffer(wire.getBuffer(read.bodyStart(), wire.length()));
    }
}
