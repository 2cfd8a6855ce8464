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
 * forged), and hidden states as a little-endian F32 body. Local delivery hands over a copy of the
 * result's hidden states or log-probabilities.
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

    /**
     * Decodes a reply, checking it as strictly as {@link ExecuteTaskCodec} checks a step: every
     * field's type, the status against the error and the result, the result's shape against the
     * body's exact length. A message whose proof fails throws {@link MessageProof.RejectedException}
     * (nothing in it can be trusted); a signed (or, without a secret, any) message that is
     * malformed throws {@link Malformed}, which names the request and step it claims to answer
     * where they can be read, so that the request can move on at once rather than at its deadline.
     */
    @Override
    public TaskReply transform(TaskReply reply) {
        return reply.result() == null ? reply : new TaskReply(reply.envelope(), reply.error(), reply.result().copy(),
                reply.engineNanos(), reply.relay());
    }

    @Override
    public TaskReply decodeFromWire(int pos, Buffer buffer) {
        MessageProof.Read message = MessageProof.read(buffer, pos, secret);
        try {
            return decode(message, buffer);
        } catch (RuntimeException e) {
            throw new Malformed(message.header(), e.getMessage());
        }
    }

    private static TaskReply decode(MessageProof.Read message, Buffer buffer) {
        JsonObject header = message.header();
        Envelope envelope = new Envelope(text(header, "command"), text(header, "request_id"), text(header, "from"),
                text(header, "to"), whole(header, "timestamp"));
        if (!Envelope.TASK_RESULT.equals(envelope.command())) {
            throw new IllegalArgumentException("\"command\" must be " + Envelope.TASK_RESULT + "; got " + envelope.command());
        }
        long engineNanos = whole(header, "engine_nanos");
        if (engineNanos < 0) {
            throw new IllegalArgumentException("\"engine_nanos\" must be >= 0; got " + engineNanos);
        }
        Object status = header.getValue("status");
        Object error = header.getValue("error");
        Object result = header.getValue("result");
        if ("error".equals(status)) {
            if (!(error instanceof String text) || text.isEmpty() || result != null) {
                throw new IllegalArgumentException("an error reply needs an \"error\" message and no result; got error "
                        + error + ", result " + result);
            }
        } else if ("ok".equals(status)) {
            if (error != null || !(result instanceof JsonObject)) {
                throw new IllegalArgumentException("an ok reply needs a \"result\" object and no error; got error " + error
                        + ", result " + result);
            }
        } else {
            throw new IllegalArgumentException("\"status\" must be ok or error; got " + status);
        }
        TaskResult decoded = null;
        int bodyBytes = 0;
        if (result instanceof JsonObject r) {
            switch (text(r, "type")) {
                case "hidden" -> {
                    JsonArray shape = r.getValue("shape") instanceof JsonArray a ? a : null;
                    if (shape == null || shape.size() != 2 || !(shape.getValue(0) instanceof Integer rows)
                            || !(shape.getValue(1) instanceof Integer width) || rows < 1 || width < 1) {
                        throw new IllegalArgumentException("\"shape\" must be [rows, width] of two positive integers; got "
                                + r.getValue("shape"));
                    }
                    HiddenEncoding encoding = encoding(text(r, "dtype"));
                    long expected = (long) rows * width * encoding.bytesPerValue();
                    if (message.bodyLength() != expected) {
                        throw new IllegalArgumentException("the body holds " + message.bodyLength() + " bytes; hidden states ["
                                + rows + ", " + width + "] in " + encoding + " need " + expected);
                    }
                    bodyBytes = (int) expected;
                    decoded = new TaskResult.Hidden(encoding.read(buffer, message.bodyStart(), rows * width), rows, width);
                }
                case "token" -> {
                    List<TokenLogprob> top = new ArrayList<>();
                    Object listed = r.getValue("top_logprobs");
                    if (!(listed instanceof JsonArray alternatives)) {
                        throw new IllegalArgumentException("\"top_logprobs\" must be an array; got " + listed);
                    }
                    for (Object o : alternatives) {
                        if (!(o instanceof JsonObject t) || !(t.getValue("token") instanceof Integer token)) {
                            throw new IllegalArgumentException("\"top_logprobs\" entries must be {token, logprob}; got " + o);
                        }
                        top.add(new TokenLogprob(token, number(t, "logprob")));
                    }
                    if (!(r.getValue("token") instanceof Integer token)) {
                        throw new IllegalArgumentException("\"token\" must be an integer; got " + r.getValue("token"));
                    }
                    long draws = whole(r, "draws");
                    if (draws < 0) {
                        throw new IllegalArgumentException("\"draws\" must be >= 0; got " + draws);
                    }
                    decoded = new TaskResult.Sampled(token, number(r, "logprob"), top, draws);
                }
                default -> throw new IllegalArgumentException("\"result.type\" must be hidden or token; got " + r.getValue("type"));
            }
        }
        if (message.bodyLength() != bodyBytes) {
            throw new IllegalArgumentException("the body holds " + message.bodyLength() + " bytes where " + bodyBytes
                    + " were expected");
        }
        Object relayJson = header.getValue("relay");
        Relay relay = null;
        if (relayJson != null) {
            if (!(relayJson instanceof JsonObject json)) {
                throw new IllegalArgumentException("\"relay\" must be an object; got " + relayJson);
            }
            relay = Relay.fromJson(json);
        }
        return new TaskReply(envelope, (String) error, decoded, engineNanos, relay);
    }

    private static HiddenEncoding encoding(String name) {
        try {
            return HiddenEncoding.valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("\"dtype\" must be F32 or F16; got " + name);
        }
    }

    private static String text(JsonObject json, String key) {
        if (!(json.getValue(key) instanceof String value)) {
            throw new IllegalArgumentException("\"" + key + "\" must be a string; got " + json.getValue(key));
        }
        return value;
    }

    private static long whole(JsonObject json, String key) {
        Object value = json.getValue(key);
        if (!(value instanceof Integer || value instanceof Long)) {
            throw new IllegalArgumentException("\"" + key + "\" must be a whole number; got " + value);
        }
        return ((Number) value).longValue();
    }

    private static float number(JsonObject json, String key) {
        if (!(json.getValue(key) instanceof Number value)) {
            throw new IllegalArgumentException("\"" + key + "\" must be a number; got " + json.getValue(key));
        }
        return value.floatValue();
    }

    /**
     * A reply that passed the proof (or came where there is no secret) but is malformed: what is
     * wrong, and which request, step and hop it claims to answer, where the header says so.
     */
    public static final class Malformed extends IllegalArgumentException {
        private final String requestId;
        private final String from;
        private final Integer step;
        private final Integer hop;

        Malformed(JsonObject header, String problem) {
            super("a TASK_RESULT that cannot be used: " + problem);
            this.requestId = header.getValue("request_id") instanceof String id ? id : null;
            this.from = header.getValue("from") instanceof String node ? node : null;
            JsonObject relay = header.getValue("relay") instanceof JsonObject r ? r : new JsonObject();
            this.step = relay.getValue("step") instanceof Integer n ? n : null;
            this.hop = relay.getValue("hop") instanceof Integer n ? n : null;
        }

        /** The request the reply names, or null. */
        public String requestId() {
            return requestId;
        }

        /** The node the reply says it comes from, or null. */
        public String from() {
            return from;
        }

        /** The coordinator's step number the reply names, or null. */
        public Integer step() {
            return step;
        }

        /** The index in the route of the hop the reply says it comes from, or null. */
        public Integer hop() {
            return hop;
        }
    }
}
