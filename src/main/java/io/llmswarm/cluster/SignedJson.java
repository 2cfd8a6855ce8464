package io.llmswarm.cluster;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

/**
 * A JSON message between members that a cluster secret signs: the replica protocol (request,
 * batches, "next"/"cancel") and the coordinators' generate and status requests. {@code kind} says
 * what it is, inside the signature, so a signed message of one kind is not taken for another.
 * Without a secret these messages go as plain {@link JsonObject}s, as they always have; with one,
 * {@link #seal} wraps them for {@link SignedJsonCodec} and {@link #open} refuses anything unsigned.
 */
public record SignedJson(String kind, JsonObject json) {

    public static final String REPLICA_REQUEST = "replica-request";
    public static final String REPLICA_BATCH = "replica-batch";
    public static final String REPLICA_ANSWER = "replica-answer";
    public static final String GENERATE = "generate";
    public static final String STATUS = "status";

    /** Failure code for a message refused for its proof (a stranger, a replay), as shards answer. */
    public static final int BAD_PROOF = 401;
    /** Failure code for a message that is not what the address takes. */
    public static final int MALFORMED = 400;

    public SignedJson {
        if (kind == null || json == null) {
            throw new IllegalArgumentException("a signed JSON message needs a kind and a JSON object");
        }
    }

    /** What to send: the JSON itself on a node without a secret, else signed as {@code kind}. */
    public static Object seal(Vertx vertx, String kind, JsonObject json) {
        return SwarmCodecs.secret(vertx).enabled() ? new SignedJson(kind, json) : json;
    }

    /**
     * The JSON of a received body of {@code kind}: signed (the codec has checked proof and
     * timestamp) or, on a node without a secret, plain. Throws {@link MessageProof.RejectedException}
     * otherwise, also when decoding the body failed its checks.
     */
    public static JsonObject open(Vertx vertx, Message<?> message, String kind) {
        Object body = message.body();
        if (body instanceof SignedJson signed) {
            if (!signed.kind().equals(kind)) {
                throw MessageProof.malformed("expected a signed " + kind + " message; got a signed " + signed.kind());
            }
            return signed.json();
        }
        if (SwarmCodecs.secret(vertx).enabled()) {
            throw new MessageProof.RejectedException("the " + kind + " message carries no cluster proof: the sender lacks"
                    + " this swarm's cluster secret", true);
        }
        if (body instanceof JsonObject json) {
            return json;
        }
        throw MessageProof.malformed("expected a JSON " + kind + " message; got "
                + (body == null ? "no body" : body.getClass().getSimpleName()));
    }

    /**
     * {@link #open}, or, when the message is refused, answers it with the failure (401 for the
     * proof, 400 for the shape) naming {@code receiver}, and returns null: the caller does nothing else.
     */
    public static JsonObject admit(Vertx vertx, Message<?> message, String kind, String receiver) {
        try {
            return open(vertx, message, kind);
        } catch (MessageProof.RejectedException e) {
            refuse(message, e.badProof() ? BAD_PROOF : MALFORMED, receiver + " refused the message: " + e.getMessage());
        } catch (RuntimeException e) {
            refuse(message, MALFORMED, receiver + " refused the message: " + e.getMessage());
        }
        return null;
    }

    private static void refuse(Message<?> message, int code, String why) {
        if (message.replyAddress() != null) {
            message.fail(code, why);
        }
    }
}
