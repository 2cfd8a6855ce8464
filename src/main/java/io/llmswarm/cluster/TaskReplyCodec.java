package io.llmswarm.cluster;

import io.llmswarm.sampling.TokenLogprob;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * {@link TaskReply} on the wire: envelope, status, error and a sampled token as a JSON header,
 * the cluster proof ({@link MessageProof}: with a secret a coordinator takes no reply a stranger
 * forged), and hidden states as a little-endian F32 body. Local delivery passes the record itself.
 */
public final class TaskReplyCodec extends SwarmCodec<TaskReply> {

    public static final String NAME = "llm.task-reply";

    public TaskReplyCodec() {
        this(ClusterSecret.none());
    }

    public TaskReplyCodec(ClusterSecret secret) {
        super(NAME, secret);
    }

    @Override
    public void encodeToWire(Buffer buffer, TaskReply reply) {
        JsonObject header = new JsonObject();
        reply.envelope().writeTo(header);
        header.put("status", reply.status()).put("engine_nanos", reply.engineNanos());
        if (reply.error() != null) {
            header.put("error", reply.error());
        }
        if (reply.relay() != null) {
            header.put("relay", reply.relay().toJson());
        }
        switch (reply.result()) {
            case null -> { }
            case TaskResult.Hidden hidden -> header.put("result", new JsonObject().put("type", "hidden")
                    .put("shape", new JsonArray().add(hidden.rows()).add(hidden.width())).put("dtype", "F32"));
            case TaskResult.Sampled sampled -> {
                JsonArray top = new JsonArray();
                for (TokenLogprob t : sampled.topLogprobs()) {
                    top.add(new JsonObject().put("token", t.token()).put("logprob", t.logprob()));
                }
                header.put("result", new JsonObject().put("type", "token").put("token", sampled.token())
                        .put("logprob", sampled.logprob()).put("top_logprobs", top).put("draws", sampled.draws()));
            }
        }
        MessageProof.write(buffer, header, secret, body -> {
            if (reply.result() instanceof TaskResult.Hidden hidden) {
                HiddenEncoding.F32.write(body, hidden.states());
            }
        });
    }

    @Override
    public TaskReply decodeFromWire(int pos, Buffer buffer) {
        MessageProof.Read message = MessageProof.read(buffer, pos, secret);
        JsonObject header = message.header();
        Envelope envelope = Envelope.readFrom(header);
        long engineNanos = header.getLong("engine_nanos", 0L);
        JsonObject result = header.getJsonObject("result");
        TaskResult decoded = null;
        if (result != null && "hidden".equals(result.getString("type"))) {
            JsonArray shape = result.getJsonArray("shape");
            int rows = shape.getInteger(0);
            int width = shape.getInteger(1);
            float[] states = HiddenEncoding.valueOf(result.getString("dtype"))
                    .read(buffer, message.bodyStart(), rows * width);
            decoded = new TaskResult.Hidden(states, rows, width);
        } else if (result != null) {
            List<TokenLogprob> top = new ArrayList<>();
            for (Object o : result.getJsonArray("top_logprobs", new JsonArray())) {
                JsonObject t = (JsonObject) o;
                top.add(new TokenLogprob(t.getInteger("token"), t.getFloat("logprob")));
            }
            decoded = new TaskResult.Sampled(result.getInteger("token"), result.getFloat("logprob"), top,
                    result.getLong("draws", 0L));
        }
        Relay relay = header.getJsonObject("relay") == null ? null : Relay.fromJson(header.getJsonObject("relay"));
        return new TaskReply(envelope, header.getString("error"), decoded, engineNanos, relay);
    }
}
