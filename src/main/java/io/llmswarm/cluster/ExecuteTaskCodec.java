package io.llmswarm.cluster;

import io.llmswarm.engine.LayerRange;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * {@link ExecuteTask} on the wire: the envelope and params as a small JSON header, then the token
 * ids (int32) and hidden states (F32 or F16) as a little-endian binary body. Local delivery passes
 * the record itself.
 */
public final class ExecuteTaskCodec implements MessageCodec<ExecuteTask, ExecuteTask> {

    public static final String NAME = "llm.execute-task";

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
        Frames.writeHeader(buffer, header);
        Frames.writeInts(buffer, input.tokens());
        if (input.hasHidden()) {
            p.encoding().write(buffer, input.hidden());
        }
    }

    @Override
    public ExecuteTask decodeFromWire(int pos, Buffer buffer) {
        JsonObject header = Frames.readHeader(buffer, pos);
        int body = Frames.bodyStart(buffer, pos);
        JsonObject p = header.getJsonObject("params");
        JsonArray shape = p.getJsonArray("shape");
        int rows = shape.getInteger(0);
        int width = shape.getInteger(1);
        HiddenEncoding encoding = HiddenEncoding.valueOf(p.getString("dtype"));
        int[] tokens = Frames.readInts(buffer, body, rows);
        float[] hidden = "hidden".equals(p.getString("input_type"))
                ? encoding.read(buffer, body + rows * 4, rows * width)
                : null;
        SamplingParams sampling = new SamplingParams(
                SamplingJson.fromJson(p.getJsonObject("sampling"), SamplingConfig.greedy()),
                p.getBoolean("ignore_eos"), p.getInteger("top_logprobs"));
        TaskParams params = new TaskParams(p.getString("session_id"), p.getString("shard_id"),
                new LayerRange(p.getInteger("layer_start"), p.getInteger("layer_end")), p.getInteger("position"),
                p.getBoolean("is_final_shard"), sampling, encoding);
        return new ExecuteTask(Envelope.readFrom(header), params, new TaskInput(tokens, hidden, width));
    }

    @Override
    public ExecuteTask transform(ExecuteTask task) {
        return task;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public byte systemCodecID() {
        return -1;
    }
}
