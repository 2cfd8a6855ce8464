package io.llmswarm.coordinator;

import io.llmswarm.cluster.Envelope;
import io.llmswarm.cluster.Route;
import io.llmswarm.cluster.SwarmBusyException;
import io.llmswarm.cluster.TaskReply;
import io.llmswarm.cluster.TaskResult;
import io.vertx.core.Future;

/**
 * Decides whether a shard's reply can be used: a reply for another request or from another node,
 * an error reply, or a result of the wrong kind, shape or values (NaN/Inf hidden states, a token
 * outside the vocabulary) becomes a {@link ShardFault}, which the node's circuit breaker counts and the request fails over from.
 */
final class ShardResultCheck {

    private final String requestId;
    private final Coordinator.ModelInfo.Shape shape;

    ShardResultCheck(String requestId, Coordinator.ModelInfo.Shape shape) {
        this.requestId = requestId;
        this.shape = shape;
    }

    /**
     * The reply as a step outcome: usable (a full context, or a shard without room for the session,
     * is no fault of the node), or a failed future with the fault.
     */
    Future<TaskReply> checked(TaskReply reply, Route.Hop hop, int rows, boolean last) {
        Envelope envelope = reply.envelope();
        if (envelope == null || !requestId.equals(envelope.requestId()) || !hop.nodeId().equals(envelope.from())) {
            return Future.failedFuture(new ShardFault(FaultCounters.Kind.INVALID_RESULT, "shard " + hop.nodeId()
                    + " (layers " + hop.span() + ") answered for " + (envelope == null ? "no request"
                    : "request " + envelope.requestId() + " from " + envelope.from()) + " where request " + requestId
                    + " from " + hop.nodeId() + " was expected"));
        }
        if (!reply.isOk()) {
            return reply.error().startsWith("context_full") || reply.error().startsWith(SwarmBusyException.REPLY_PREFIX)
                    ? Future.succeededFuture(reply)
                    : Future.failedFuture(new ShardFault(FaultCounters.Kind.ERROR, reply.error()));
        }
        String invalid = invalid(reply.result(), rows);
        if (invalid == null && (reply.result() instanceof TaskResult.Sampled) != last) {
            invalid = reply.result().getClass().getSimpleName() + " where " + (last ? "a sampled token" : "hidden states")
                    + " were expected";
        }
        return invalid == null ? Future.succeededFuture(reply) : Future.failedFuture(new ShardFault(
                FaultCounters.Kind.INVALID_RESULT, "shard " + hop.nodeId() + " (layers " + hop.span() + ") returned "
                + invalid));
    }

    /** What is wrong with a shard's result (shape, non-finite values, token id), or null. */
    String invalid(TaskResult result, int rows) {
        switch (result) {
            case TaskResult.Hidden hidden -> {
                int width = shape.embeddingLength();
                if (hidden.rows() != rows || hidden.width() != width) {
                    return "hidden states of shape [" + hidden.rows() + ", " + hidden.width() + "] where [" + rows
                            + ", " + width + "] were expected";
                }
                for (float v : hidden.states()) {
                    if (!Float.isFinite(v)) {
                        return "hidden states containing " + v;
                    }
                }
                return null;
            }
            case TaskResult.Sampled sampled -> {
                int vocab = shape.vocabularySize();
                return sampled.token() < 0 || sampled.token() >= vocab
                        ? "token id " + sampled.token() + " outside the vocabulary 0-" + (vocab - 1) : null;
            }
            case null -> {
                return "no result";
            }
        }
    }
}
