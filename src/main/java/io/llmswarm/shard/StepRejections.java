package io.llmswarm.shard;

import io.llmswarm.cluster.MessageProof;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.eventbus.Message;

/**
 * The shard's door: a message is decoded (the codec checks its shape and, with a cluster secret,
 * its proof and timestamp); one that fails, or is not of the expected type at all, is answered
 * with a failure naming the problem (401 for a missing or bad proof, 400 for malformed bytes) and
 * counted in {@code llmswarm_shard_messages_rejected_total{reason}}; it never reaches the engine.
 */
final class StepRejections {

    static final int BAD_PROOF = 401;
    static final int MALFORMED = 400;

    private final String shardId;
    private final Counter badProof;
    private final Counter malformed;

    StepRejections(MeterRegistry meters, String shardId) {
        this.shardId = shardId;
        this.badProof = counter(meters, "proof");
        this.malformed = counter(meters, "malformed");
    }

    private static Counter counter(MeterRegistry meters, String reason) {
        return Counter.builder("llmswarm.shard.messages.rejected")
                .description("Messages to this node's shard refused before they ran: bad cluster proof or malformed")
                .tag("reason", reason).register(meters);
    }

    /** The message's body when it is a {@code type} that passed its codec's checks; else answers it and returns null. */
    <T> T admit(Message<Object> message, Class<T> type, String what) {
        Object body;
        try {
            body = message.body();
        } catch (MessageProof.RejectedException e) {
            return refuse(message, e.badProof(), e.getMessage());
        } catch (RuntimeException e) {
            return refuse(message, false, String.valueOf(e.getMessage()));
        }
        if (!type.isInstance(body)) {
            return refuse(message, false, "expected " + what + " message; got "
                    + (body == null ? "no body" : body.getClass().getSimpleName()));
        }
        return type.cast(body);
    }

    private <T> T refuse(Message<Object> message, boolean proof, String why) {
        (proof ? badProof : malformed).increment();
        if (message.replyAddress() != null) {
            message.fail(proof ? BAD_PROOF : MALFORMED, "shard " + shardId + " refused the message: " + why);
        }
        return null;
    }
}
