package io.llmswarm.coordinator;

import io.llmswarm.cluster.ReplicaBatch;
import io.llmswarm.cluster.ReplicaRequest;
import io.llmswarm.cluster.Route;
import io.llmswarm.cluster.SignedJson;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * The coordinator's side of one generation on a whole-model replica: sends the request, takes each
 * {@link ReplicaBatch} of text pieces, and asks for the next (or cancels) until the replica says
 * the generation ended. The replica answers at least once a second, so a batch that does not come
 * within the timeout means the replica is gone. Every batch goes through the replica's circuit
 * breaker, as a shard's steps do, so a replica that keeps failing is avoided for a while. With a
 * cluster secret each message goes signed ({@link SignedJson}) and a batch without a valid proof
 * is a failure of the replica.
 * Callbacks run on the caller's event-loop context.
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
    private final NodeHealth health;
    private long sentAt;
    private boolean over;

    ReplicaStream(Vertx vertx, NodeHealth health, Route.Hop replica, long timeoutMillis, Listener listener) {
        this.vertx = vertx;
        this.health = health;
        this.replica = replica;
        this.delivery = new DeliveryOptions().setSendTimeout(timeoutMillis);
        this.listener = listener;
    }

    void start(ReplicaRequest request) {
        sentAt = System.nanoTime();
        health.call(replica.nodeId(), () -> vertx.eventBus().request(replica.address(),
                SignedJson.seal(vertx, SignedJson.REPLICA_REQUEST, request.toJson()), delivery)
                .compose(this::checked)).onComplete(this::onBatch);
    }

    /** No more callbacks; the replica stops at its next batch (the run also sends a session release). */
    void stop() {
        over = true;
    }

    private void onBatch(AsyncResult<Batch> done) {
        if (over) {
            if (done.succeeded()) {
                done.result().message().reply(answer(ReplicaBatch.cancel()));
            }
            return;
        }
        long roundTrip = System.nanoTime() - sentAt;
        if (done.failed()) {
            over = true;
            String name = "replica " + replica.nodeId() + " (llamacpp, layers " + replica.span() + ")";
            switch (done.cause()) {
                case ReplicaFailure failure -> listener.onFailure(FaultCounters.Kind.ERROR, name + " failed: "
                        + failure.getMessage());
                case OpenCircuitException open -> listener.onFailure(
                        FaultCounters.Kind.CIRCUIT_OPEN, name + " is avoided after repeated faults");
                case ReplyException reply
                        when reply.failureType() == ReplyFailure.TIMEOUT ->
                        listener.onFailure(FaultCounters.Kind.TIMEOUT, name + " did not answer in time: " + reply.getMessage());
                default -> listener.onFailure(FaultCounters.Kind.ERROR, name + " did not answer: "
                        + done.cause().getMessage());
            }
            return;
        }
        ReplicaBatch batch = done.result().batch();
        boolean more = listener.onPieces(batch.pieces(), roundTrip);
        if (batch.done() || !more || over) {
            boolean ended = batch.done() && more && !over;
            over = true;
            if (!batch.done()) {
                done.result().message().reply(answer(ReplicaBatch.cancel()));
            }
            if (ended) {
                listener.onEnd();
            }
            return;
        }
        sentAt = System.nanoTime();
        Message<Object> previous = done.result().message();
        health.call(replica.nodeId(), () -> previous.replyAndRequest(answer(ReplicaBatch.next()), delivery)
                .compose(this::checked)).onComplete(this::onBatch);
    }

    private Object answer(JsonObject nextOrCancel) {
        return SignedJson.seal(vertx, SignedJson.REPLICA_ANSWER, nextOrCancel);
    }

    /** A batch without a valid proof, or one that reports llama.cpp's failure, counts against the replica's breaker. */
    private Future<Batch> checked(Message<Object> message) {
        JsonObject json;
        try {
            json = SignedJson.open(vertx, message, SignedJson.REPLICA_BATCH);
        } catch (RuntimeException e) {
            return Future.failedFuture(new ReplicaFailure("its batch was refused: " + e.getMessage()));
        }
        String error = json.getString("error");
        return error == null ? Future.succeededFuture(new Batch(message, ReplicaBatch.fromJson(json)))
                : Future.failedFuture(new ReplicaFailure(error));
    }

    /** A batch as read, with the message to answer it on. */
    private record Batch(Message<Object> message, ReplicaBatch batch) {
    }

    /** llama.cpp failed on the replica. */
    private static final class ReplicaFailure extends RuntimeException {
        ReplicaFailure(String message) {
            super(message, null, false, false);
        }
    }
}
