package io.llmswarm.shard;

import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.AnnouncementRegistry;
import io.llmswarm.cluster.ExecuteTask;
import io.llmswarm.cluster.SessionRelease;
import io.llmswarm.cluster.ShardAnnouncement;
import io.llmswarm.cluster.TaskReply;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;

import java.util.concurrent.TimeUnit;

/**
 * Puts a {@link ShardService} on the event bus: EXECUTE_TASK steps and session releases arrive on
 * the node's shard addresses and run on a worker pool, never on the event loop. Once its consumers
 * are registered cluster-wide it announces itself ready; every second it expires idle sessions
 * and republishes capacity and load when they changed; on stop it withdraws its announcement.
 */
public final class ShardVerticle extends VerticleBase {

    private static final long HOUSEKEEPING_MS = 1000;

    private final ShardService service;
    private final AnnouncementRegistry registry;
    private final StepRejections rejections;
    private volatile ShardAnnouncement announcement;
    private WorkerExecutor workers;
    private long timer = -1;

    /** @param announcement what to publish; its capacity, load and ready fields are filled in here */
    public ShardVerticle(ShardService service, AnnouncementRegistry registry, ShardAnnouncement announcement) {
        this(service, registry, announcement, new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    }

    /** Counts refused messages in {@code meters} ({@code llmswarm_shard_messages_rejected_total}). */
    public ShardVerticle(ShardService service, AnnouncementRegistry registry, ShardAnnouncement announcement,
                         io.micrometer.core.instrument.MeterRegistry meters) {
        this.service = service;
        this.registry = registry;
        this.announcement = announcement;
        this.rejections = new StepRejections(meters, service.shardId());
    }

    @Override
    public Future<?> start() {
        // Steps of different sessions may run at once; the engine serialises its forward passes.
        // A long prompt may keep a worker busy for minutes: that is work, not a blocked thread.
        workers = vertx.createSharedWorkerExecutor("llm-shard-" + service.shardId(), 4, 10, TimeUnit.MINUTES);
        String nodeId = announcement.nodeId();
        MessageConsumer<Object> execute = vertx.eventBus().consumer(Addresses.shardExecute(nodeId), this::execute);
        MessageConsumer<Object> release = vertx.eventBus().consumer(Addresses.shardRelease(nodeId), this::release);
        return Future.all(execute.completion(), release.completion())
                .compose(ignored -> publish(announcement.withLoad(service.freeSlots(), service.load()).withReady(true)))
                .onSuccess(ignored -> timer = vertx.setPeriodic(HOUSEKEEPING_MS, id -> housekeeping()));
    }

    private void execute(Message<Object> message) {
        ExecuteTask task = rejections.admit(message, ExecuteTask.class, "an EXECUTE_TASK");
        if (task == null) {
            return;
        }
        workers.executeBlocking(() -> service.execute(task), false)
                .onComplete(done -> message.reply(done.succeeded() ? done.result()
                        : TaskReply.failed(task.envelope().reply(), "shard " + service.shardId() + " (layers "
                                + service.layers() + "): " + done.cause())));
    }

    private void release(Message<Object> message) {
        SessionRelease body = rejections.admit(message, SessionRelease.class, "a RELEASE_SESSION");
        if (body == null) {
            return;
        }
        String sessionId = body.sessionId();
        // Not on the step workers: steps waiting there for a free session slot must not hold up the release that frees one.
        vertx.executeBlocking(() -> service.release(sessionId), false);
    }

    private void housekeeping() {
        workers.executeBlocking(() -> {
            service.expireIdle();
            ShardAnnouncement current = announcement;
            ShardAnnouncement next = current.withLoad(service.freeSlots(), service.load());
            if (!next.equals(current)) {
                announcement = next;
                registry.announce(next);
            }
            return null;
        }, true);
    }

    private Future<Void> publish(ShardAnnouncement next) {
        announcement = next;
        return workers.executeBlocking(() -> {
            registry.announce(next);
            return null;
        });
    }

    /** What this shard has announced last. */
    public ShardAnnouncement announcement() {
        return announcement;
    }

    @Override
    public Future<?> stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        return workers.executeBlocking(() -> {
            registry.withdraw(announcement.nodeId());
            service.close();
            return null;
        }).eventually(() -> workers.close());
    }
}
