package io.llmswarm.coordinator;

import io.llmswarm.cluster.ReplicaBatch;
import io.llmswarm.cluster.ReplicaRequest;
import io.llmswarm.cluster.Route;
import io.vertx.core.AsyncResult;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * The coordinator's side of one generation on a whole-model replica: sends the request, takes each
 * {@link ReplicaBatch} of text pieces, and asks for the next (or cancels) until the replica says
 * the generation ended. The replica answers at least once a second, so a batch that does not come
 * within the timeout means the replica is gone. Callbacks run on the caller's event-loop context.
 */
final class ReplicaStream {

    /** What the stream hands over: pieces (false to stop), the end, or why it broke. */
    interface Listener {
        /** New pieces, possibly none (a heartbeat); returns false when no more are wanted. */
        boolean onPieces(List<String> pieces, long roundTripNanos);

        void onEnd();

        void onFailure(FaultCounters.Kind kind, String why);
    }

    private final Vertx vertx;
    private final Route.Hop replica;
    private final DeliveryOptions delivery;
    private final Listener listener;
    private long sentAt;
    private boolean over;

    ReplicaStream(Vertx vertx, Route.Hop replica, long timeoutMillis, Listener listener) {
        this.vertx = vertx;
        this.replica = replica;
        this.delivery = new DeliveryOptions().setSendTimeout(timeoutMillis);
        this.listener = listener;
    }

    void start(ReplicaRequest request) {
        sentAt = System.nanoTime();
        vertx.eventBus().<JsonObject>request(replica.address(), request.toJson(), delivery).onComplete(this::onBatch);
    }

    /** No more callbacks; the replica stops at its next batch (the run also sends a session release). */
    void stop() {
        over = true;
    }

    private void onBatch(AsyncResult<Message<JsonObject>> done) {
        if (over) {
            if (done.succeeded()) {
                done.result().reply(ReplicaBatch.cancel());
            }
            return;
        }
        long roundTrip = System.nanoTime() - sentAt;
        if (done.failed()) {
            over = true;
            boolean timedOut = done.cause() instanceof io.vertx.core.eventbus.ReplyException reply
                    && reply.failureType() == io.vertx.core.eventbus.ReplyFailure.TIMEOUT;
            listener.onFailure(timedOut ? FaultCounters.Kind.TIMEOUT : FaultCounters.Kind.ERROR, "replica "
                    + replica.nodeId() + " (llamacpp, layers " + replica.span() + ") did not answer: "
                    + done.cause().getMessage());
            return;
        }
        ReplicaBatch batch = ReplicaBatch.fromJson(done.result().body());
        if (batch.error() != null) {
            over = true;
            listener.onFailure(FaultCounters.Kind.ERROR, "replica " + replica.nodeId() + " failed: " + batch.error());
            return;
        }
        boolean more = listener.onPieces(batch.pieces(), roundTrip);
        if (batch.done() || !more || over) {
            boolean ended = batch.done() && more && !over;
            over = true;
            if (!batch.done()) {
                done.result().reply(ReplicaBatch.cancel());
            }
            if (ended) {
                listener.onEnd();
            }
            return;
        }
        sentAt = System.nanoTime();
        done.result().<JsonObject>replyAndRequest(ReplicaBatch.next(), delivery).onComplete(this::onBatch);
    }
}
