package io.llmswarm.cluster;

import io.llmswarm.engine.LayerRange;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * {@link ExecuteTask} on the wire: the envelope and params as a small JSON header, the cluster
 * proof ({@link MessageProof}), then the token ids (int32) and hidden states (F32 or F16) as a
 * little-endian binary body. Decoding checks every field and the body's exact length, and with a
 * secret the proof, throwing {@link MessageProof.RejectedException} with what is wrong. Local
 * delivery hands over a copy of the input's arrays.
 */
public final class ExecuteTaskCodec extends SwarmCodec<ExecuteTask> {

    public static final String NAME = "llm.execute-task";

    public ExecuteTaskCodec() {
        this(ClusterSecret.none());
    }

    public ExecuteTaskCodec(ClusterSecret secret) {
        super(NAME, secret);
    }

    @Override
    public void encodeToWire(Buffer buffer, ExecuteTask task) {
        JsonObject header = new JsonObject();
        task.envelope().writeTo(header);
        TaskParams p = task.params();
        TaskInput input = task.input();
        SamplingParams sampling = p.sampling();
        header.put("params", new JsonObject()
                .put("session_id", p.sessionId())
                .put("shard_id", p.shardId())
                .put("layer_start", p.layers().first())
                .put("layer_end", p.layers().last())
                .put("position", p.firstPosition())
                .put("input_type", input.inputType())
                .put("shape", new JsonArray().add(input.tokens().length).add(input.width()))
                .put("dtype", p.encoding().name())
                .put("sampling", SamplingJson.toJson(sampling.config()))
                .put("ignore_eos", sampling.ignoreEos())
                .put("top_logprobs", sampling.topLogprobs())
                .put("is_final_shard", p.finalShard()));
        if (input.prefix().length > 0) {
            header.getJsonObject("params").put("prefix_tokens", input.prefix().length);
        }
        if (p.drawsBefore() > 0) {
            header.getJsonObject("params").put("draws_before", p.drawsBefore());
        }
        if (task.relay() != null) {
            header.put("relay", task.relay().toJson());
        }
        MessageProof.write(buffer, header, secret, body -> {
            Frames.writeInts(body, input.tokens());
            Frames.writeInts(body, input.prefix());
            if (input.hasHidden()) {
                p.encoding().write(body, input.hidden());
            }
        });
    }

    @Override
    public ExecuteTask transform(ExecuteTask task) {
        return new ExecuteTask(task.envelope(), task.params(), task.input().copy(), task.relay());
    }

    @Override
    public ExecuteTask decodeFromWire(int pos, Buffer buffer) {
        MessageProof.Read message = MessageProof.read(buffer, pos, secret);
        try {
            return decode(message, buffer);
        } catch (MessageProof.RejectedException e) {
            throw e;
        } catch (RuntimeException e) {
            throw MessageProof.malformed("EXECUTE_TASK header: " + e.getMessage());
        }
    }

    private ExecuteTask decode(MessageProof.Read message, Buffer buffer) {
        JsonObject header = message.header();
        JsonObject p = object(header, "params");
        JsonArray shape = p.getJsonArray("shape");
        if (shape == null || shape.size() != 2 || !(shape.getValue(0) instanceof Integer)
                || !(shape.getValue(1) instanceof Integer)) {
            throw MessageProof.malformed("\"shape\" must be [rows, width] of two integers; got " + shape);
        }
        int rows = shape.getInteger(0);
        int width = shape.getInteger(1);
        HiddenEncoding encoding = HiddenEncoding.valueOf(text(p, "dtype"));
        boolean hidden = switch (text(p, "input_type")) {
            case "hidden" -> true;
            case "tokens" -> false;
            default -> throw MessageProof.malformed("\"input_type\" must be tokens or hidden; got " + p.getValue("input_type"));
        };
        if (rows < 1 || width < 0 || (hidden && width < 1)) {
            throw MessageProof.malformed("shape [" + rows + ", " + width + "] is not a step's shape");
        }
        int prefixLength = prefixTokens(p);
        if (prefixLength > 0 && integer(p, "position") != prefixLength) {
            throw MessageProof.malformed("a step after a cached prefix of " + prefixLength + " tokens must start at position "
                    + prefixLength + "; got " + p.getValue("position"));
        }
        long expected = 4L * rows + 4L * prefixLength + (hidden ? (long) rows * width * encoding.bytesPerValue() : 0);
        if (message.bodyLength() != expected) {
            throw MessageProof.malformed("the body holds " + message.bodyLength() + " bytes; shape [" + rows + ", "
                    + width + "] of " + p.getValue("input_type") + " in " + encoding
                    + (prefixLength > 0 ? " after a prefix of " + prefixLength + " token ids" : "") + " needs " + expected);
        }
        int[] tokens = Frames.readInts(buffer, message.bodyStart(), rows);
        int[] prefix = Frames.readInts(buffer, message.bodyStart() + rows * 4, prefixLength);
        float[] states = hidden ? encoding.read(buffer, message.bodyStart() + (rows + prefixLength) * 4, rows * width) : null;
        SamplingParams sampling = new SamplingParams(
                SamplingJson.fromJson(object(p, "sampling"), SamplingConfig.greedy()),
                flag(p, "ignore_eos"), integer(p, "top_logprobs"));
        TaskParams params = new TaskParams(text(p, "session_id"), text(p, "shard_id"),
                new LayerRange(integer(p, "layer_start"), integer(p, "layer_end")), integer(p, "position"),
                flag(p, "is_final_shard"), sampling, encoding, drawsBefore(p));
        Envelope envelope = Envelope.readFrom(header);
        if (!Envelope.EXECUTE_TASK.equals(envelope.command())) {
            throw MessageProof.malformed("\"command\" must be " + Envelope.EXECUTE_TASK + "; got " + envelope.command());
        }
        Relay relay = header.getValue("relay") == null ? null : Relay.fromJson(object(header, "relay"));
        return new ExecuteTask(envelope, params, new TaskInput(tokens, states, hidden ? width : 0, prefix), relay);
    }

    private static JsonObject object(JsonObject json, String key) {
        if (!(json.getValue(key) instanceof JsonObject value)) {
            throw MessageProof.malformed("\"" + key + "\" must be a JSON object; got " + json.getValue(key));
        }
        return value;
    }

    private static long drawsBefore(JsonObject params) {
        Object value = params.getValue("draws_before");
        if (value == null) {
            return 0;
        }
        if (!(value instanceof Integer || value instanceof Long) || ((Number) value).longValue() < 0) {
            throw MessageProof.malformed("\"draws_before\" must be a whole number >= 0; got " + value);
        }
        return ((Number) value).longValue();
    }

    private static int prefixTokens(JsonObject params) {
        Object value = params.getValue("prefix_tokens");
        if (value == null) {
            return 0;
        }
        if (!(value instanceof Integer count) || count < 1 || count > MAX_PREFIX_TOKENS) {
            throw MessageProof.malformed("\"prefix_tokens\" must be a whole number 1-" + MAX_PREFIX_TOKENS + "; got " + value);
        }
        return count;
    }

    /** More prefix token ids than any context holds is not a step. */
    private static final int MAX_PREFIX_TOKENS = 1 << 20;

    private static String text(JsonObject json, String key) {
        if (!(json.getValue(key) instanceof String value)) {
            throw MessageProof.malformed("\"" + key + "\" must be a string; got " + json.getValue(key));
        }
        return value;
    }

    private static int integer(JsonObject json, String key) {
        if (!(json.getValue(key) instanceof Integer value)) {
            throw MessageProof.malformed("\"" + key + "\" must be an integer; got " + json.getValue(key));
        }
        return value;
    }

    private static boolean flag(JsonObject json, String key) {
        if (!(json.getValue(key) instanceof Boolean value)) {
            throw MessageProof.malformed("\"" + key + "\" must be true or false; got " + json.getValue(key));
        }
        return value;
    }
}
