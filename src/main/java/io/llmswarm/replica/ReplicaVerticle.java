package io.llmswarm.replica;

import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.AnnouncementRegistry;
import io.llmswarm.cluster.Announcer;
import io.llmswarm.cluster.ReplicaBatch;
import io.llmswarm.cluster.ReplicaRequest;
import io.llmswarm.cluster.SessionRelease;
import io.llmswarm.cluster.ShardAnnouncement;
import io.llmswarm.cluster.SignedJson;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Puts a {@link ReplicaService} on the event bus. A {@link ReplicaRequest} arrives on the
 * replica's announced address; the answer is the first {@link ReplicaBatch}, and each "next" the
 * coordinator sends back is answered with the following batch (reply-to-reply, so no per-request
 * address has to be registered in the cluster). A batch goes out as soon as pieces are waiting,
 * or empty after a second as a heartbeat. A "cancel", a {@link SessionRelease}, or a coordinator
 * that stops answering stops llama.cpp's generation. Load and capacity are republished while
 * they change. With a cluster secret every message of the exchange is {@link SignedJson}: an
 * unsigned, badly signed or stale request is refused (401) before anything starts, and such an
 * answer ends the generation. All conversation state lives on this verticle's event loop.
 */
public final class ReplicaVerticle extends VerticleBase {

    static final long HEARTBEAT_MS = 1000;
    private static final long HOUSEKEEPING_MS = 250;
    /** How long a coordinator may take to ask for the next batch before the replica gives up on it. */
    private static final long COORDINATOR_TIMEOUT_MS = 30_000;

    private final ReplicaService service;
    private final AnnouncementRegistry registry;
    private final Map<String, Conversation> conversations = new HashMap<>();
    private final ShardAnnouncement first;
    private Announcer announcer;
    private WorkerExecutor workers;
    private Context loop;
    private long timer = -1;

    /** @param announcement what to publish; capacity, load and ready are filled in here */
    public ReplicaVerticle(ReplicaService service, AnnouncementRegistry registry, ShardAnnouncement announcement) {
        this.service = service;
        this.registry = registry;
        this.first = announcement;
    }

    @Override
    public Future<?> start() {
        loop = context;
        workers = vertx.createSharedWorkerExecutor("llm-replica-" + first.nodeId(), 1);
        announcer = new Announcer(vertx, registry, workers, first);
        var generate = vertx.eventBus().consumer(first.address(), this::generate);
        var release = vertx.eventBus().<SessionRelease>consumer(Addresses.shardRelease(first.nodeId()),
                message -> service.cancel(message.body().sessionId()));
        return Future.all(generate.completion(), release.completion())
                .compose(ignored -> announcer.publishReady(service.limit(), service.load()))
                .onSuccess(ignored -> timer = vertx.setPeriodic(HOUSEKEEPING_MS, id -> housekeeping()));
    }

    private void generate(Message<Object> message) {
        JsonObject json = SignedJson.admit(vertx, message, SignedJson.REPLICA_REQUEST, "replica " + first.nodeId());
        if (json == null) {
            return;
        }
        ReplicaRequest request;
        try {
            request = ReplicaRequest.fromJson(json);
        } catch (IllegalArgumentException e) {
            message.fail(400, e.getMessage());
            return;
        }
        if (conversations.containsKey(request.sessionId())) {
            message.fail(400, "session " + request.sessionId() + " is already generating on this replica");
            return;
        }
        Conversation conversation = new Conversation(request.sessionId());
        conversation.waiting(message);
        conversations.put(request.sessionId(), conversation);
        try {
            conversation.stream = service.start(request, () -> loop.runOnContext(ignored -> flush(conversation, false)));
        } catch (RuntimeException e) {
            conversations.remove(request.sessionId());
            message.fail(500, "replica " + first.nodeId() + " could not start: " + e.getMessage());
        }
    }

    /** Sends what is waiting if the coordinator has asked for it; an empty batch only as a heartbeat. */
    private void flush(Conversation conversation, boolean heartbeat) {
        if (conversation.asking == null || conversation.stream == null) {
            return;
        }
        ReplicaBatch batch = conversation.stream.drain();
        if (batch.pieces().isEmpty() && !batch.done() && !heartbeat) {
            return;
        }
        Message<Object> asking = conversation.asking;
        conversation.asking = null;
        Object sealed = SignedJson.seal(vertx, SignedJson.REPLICA_BATCH, batch.toJson());
        if (batch.done()) {
            conversations.remove(conversation.sessionId);
            asking.reply(sealed);
            return;
        }
        asking.replyAndRequest(sealed, new DeliveryOptions().setSendTimeout(COORDINATOR_TIMEOUT_MS))
                .onComplete(answer -> {
                    // An answer refused for its proof ends the exchange as a cancel does: no real one can follow.
                    JsonObject json = answer.failed() ? null : SignedJson.admit(vertx, answer.result(),
                            SignedJson.REPLICA_ANSWER, "replica " + first.nodeId());
                    if (json == null || ReplicaBatch.isCancel(json)) {
                        // The coordinator is done with it, or gone: llama.cpp stops after its next token.
                        conversations.remove(conversation.sessionId);
                        service.cancel(conversation.sessionId);
                    } else {
                        conversation.waiting(answer.result());
                        flush(conversation, false);
                    }
                });
    }

    private void housekeeping() {
        long now = System.nanoTime();
        for (Conversation conversation : List.copyOf(conversations.values())) {
            if (conversation.asking != null && now - conversation.askedAt >= TimeUnit.MILLISECONDS.toNanos(HEARTBEAT_MS)) {
                flush(conversation, true);
            }
        }
        announcer.refresh(service.limit(), service.load());
    }

    /** Says the node is draining: announced not ready, so no new route comes here; the sessions it has go on. */
    public Future<Void> drain() {
        return announcer == null ? Future.succeededFuture() : announcer.publishNotReady();
    }

    /** What this replica has announced last. */
    public ShardAnnouncement announcement() {
        return announcer == null ? first : announcer.current();
    }

    @Override
    public Future<?> stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        return announcer.withdraw(service::close).eventually(() -> workers.close());
    }

    /** One generation's exchange with its coordinator: the message to answer next, and since when it waits. */
    private static final class Conversation {
        final String sessionId;
        ReplicaService.Stream stream;
        Message<Object> asking;
        long askedAt;

        Conversation(String sessionId) {
            this.sessionId = sessionId;
        }

        void waiting(Message<Object> message) {
            asking = message;
            askedAt = System.nanoTime();
        }
    }
}
