package io.llmswarm.cluster;

import io.llmswarm.engine.LayerRange;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;

import java.util.ArrayList;
import java.util.List;

/**
 * A node's own announcement, kept current: published ready once the node's consumers are
 * registered, republished when capacity or load change, withdrawn on stop. Writes use
 * Hazelcast's asynchronous operations, so no thread waits on the cluster. A write that fails (a
 * partition migrating, a member that left mid-write) is logged and tried again, with a growing
 * pause, until the newest announcement is written: the swarm never keeps showing stale layers or
 * load because one write was lost. One write runs at a time, always of the newest announcement.
 */
public final class Announcer {

    private static final System.Logger LOG = System.getLogger(Announcer.class.getName());
    static final long FIRST_RETRY_MS = 100;
    static final long MAX_RETRY_MS = 5_000;

    private final Vertx vertx;
    private final AnnouncementRegistry registry;
    private final WorkerExecutor workers;
    /** What the node should announce: the newest announcement asked for. Guarded by {@code this}. */
    private ShardAnnouncement wanted;
    /** What Hazelcast holds, as far as this node knows: the last announcement written. */
    private volatile ShardAnnouncement written;
    private boolean writing;
    private boolean withdrawn;
    private long retryMs = FIRST_RETRY_MS;
    /** The latest write's outcome: a withdrawal waits for it, so no write lands after the entry is deleted. */
    private Future<Void> lastWrite = Future.succeededFuture();
    /** Who waits for an announcement to be written: each completes once it, or a newer one, is. */
    private final List<Waiter> waiters = new ArrayList<>();

    private record Waiter(ShardAnnouncement announcement, Promise<Void> promise) {
    }

    /** @param announcement what to publish; capacity, load and ready are filled in by {@link #publishReady} */
    public Announcer(Vertx vertx, AnnouncementRegistry registry, WorkerExecutor workers, ShardAnnouncement announcement) {
        this.vertx = vertx;
        this.registry = registry;
        this.workers = workers;
        this.wanted = announcement;
    }

    /** What this node has announced last: written to the swarm's map (before the first write, what it will announce). */
    public ShardAnnouncement current() {
        ShardAnnouncement last = written;
        if (last != null) {
            return last;
        }
        synchronized (this) {
            return wanted;
        }
    }

    /** Announces the node ready with this capacity and load; completes once written. */
    public Future<Void> publishReady(int capacity, int load) {
        synchronized (this) {
            return publish(wanted.withLoad(capacity, load).withReady(true));
        }
    }

    /**
     * Announces the node not ready (draining): coordinators plan no new route through it, while
     * the requests already routed through it go on (they route by announcement, ready or not).
     * Later refreshes keep it not ready. Completes once written.
     */
    public Future<Void> publishNotReady() {
        synchronized (this) {
            return publish(wanted.withReady(false));
        }
    }

    /**
     * Announces {@code layers} (a part of what the node loaded, or all of it again) when they differ
     * from what it announces; ready or not stays as it is. Completes once written.
     */
    public Future<Void> publishLayers(LayerRange layers) {
        synchronized (this) {
            ShardAnnouncement next = wanted.withLayers(layers);
            return next.equals(wanted) ? Future.succeededFuture() : publish(next);
        }
    }

    /** Republishes when capacity or load changed since the last announcement asked for; any thread. */
    public Future<Void> refresh(int capacity, int load) {
        synchronized (this) {
            ShardAnnouncement next = wanted.withLoad(capacity, load);
            return next.equals(wanted) ? Future.succeededFuture() : publish(next);
        }
    }

    private synchronized Future<Void> publish(ShardAnnouncement next) {
        if (withdrawn) {
            return Future.failedFuture(new IllegalStateException("the announcement of " + next.nodeId() + " was withdrawn"));
        }
        wanted = next;
        Promise<Void> promise = Promise.promise();
        waiters.add(new Waiter(next, promise));
        if (!writing) {
            writing = true;
            write(next);
        }
        return promise.future();
    }

    private void write(ShardAnnouncement next) {
        Future<Void> attempt = registry.announce(next, vertx.getOrCreateContext());
        lastWrite = attempt;
        attempt.onComplete(done -> {
            synchronized (this) {
                if (done.succeeded()) {
                    written = next;
                    retryMs = FIRST_RETRY_MS;
                    settle(next);
                } else {
                    LOG.log(System.Logger.Level.WARNING, "announcing node " + next.nodeId() + " (layers " + next.layers()
                            + ") failed; trying again in " + retryMs + " ms: " + done.cause());
                }
                if (withdrawn) {
                    writing = false;
                    failWaiters();
                } else if (done.failed()) {
                    long delay = retryMs;
                    retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
                    vertx.setTimer(delay, id -> retry());
                } else if (!wanted.equals(next)) {
                    write(wanted); // a newer one came while this was written
                } else {
                    writing = false;
                }
            }
        });
    }

    private synchronized void retry() {
        if (withdrawn) {
            writing = false;
            failWaiters();
        } else {
            write(wanted);
        }
    }

    /** Completes the waiters whose announcement is {@code done} or older than it (asked for before it). */
    private void settle(ShardAnnouncement done) {
        int last = -1;
        for (int i = 0; i < waiters.size(); i++) {
            if (waiters.get(i).announcement().equals(done)) {
                last = i;
            }
        }
        for (int i = 0; i <= last; i++) {
            waiters.getFirst().promise().tryComplete();
            waiters.removeFirst();
        }
    }

    private void failWaiters() {
        waiters.forEach(w -> w.promise().tryFail("the announcement of " + w.announcement().nodeId() + " was withdrawn"));
        waiters.clear();
    }

    /**
     * Withdraws the announcement (no write is retried after it; Hazelcast's asynchronous remove),
     * then closes what the node served ({@code close}) on a worker.
     */
    public Future<Void> withdraw(Runnable close) {
        String nodeId;
        Future<Void> before;
        synchronized (this) {
            withdrawn = true;
            nodeId = wanted.nodeId();
            before = lastWrite;
        }
        Context context = vertx.getOrCreateContext();
        return before.transform(ignored -> registry.withdraw(nodeId, context))
                .compose(ignored -> workers.executeBlocking(() -> {
                    close.run();
                    return null;
                }));
    }
}
