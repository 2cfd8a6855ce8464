package io.llmswarm.cluster;

import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;

/**
 * A node's own announcement, kept current: published ready once the node's consumers are
 * registered, republished when capacity or load change, withdrawn on stop. Hazelcast calls
 * block, so they run on the node's worker pool, never on an event loop.
 */
public final class Announcer {

    private final AnnouncementRegistry registry;
    private final WorkerExecutor workers;
    private volatile ShardAnnouncement announcement;

    /** @param announcement what to publish; capacity, load and ready are filled in by {@link #publishReady} */
    public Announcer(AnnouncementRegistry registry, WorkerExecutor workers, ShardAnnouncement announcement) {
        this.registry = registry;
        this.workers = workers;
        this.announcement = announcement;
    }

    /** What this node has announced last. */
    public ShardAnnouncement current() {
        return announcement;
    }

    /** Announces the node ready with this capacity and load. */
    public Future<Void> publishReady(int capacity, int load) {
        return publish(announcement.withLoad(capacity, load).withReady(true));
    }

    /**
     * Announces the node not ready (draining): coordinators plan no new route through it, while
     * the requests already routed through it go on (they route by announcement, ready or not).
     */
    public Future<Void> publishNotReady() {
        return publish(announcement.withReady(false));
    }

    /** Republishes when capacity or load changed since the last announcement; any thread. */
    public void refresh(int capacity, int load) {
        ShardAnnouncement next = announcement.withLoad(capacity, load);
        if (!next.equals(announcement)) {
            publish(next);
        }
    }

    private Future<Void> publish(ShardAnnouncement next) {
        announcement = next;
        return workers.executeBlocking(() -> {
            registry.announce(announcement); // the newest, should two writes overtake each other
            return null;
        });
    }

    /** Withdraws the announcement, then closes what the node served ({@code close}), both on a worker. */
    public Future<Void> withdraw(Runnable close) {
        return workers.executeBlocking(() -> {
            registry.withdraw(announcement.nodeId());
            close.run();
            return null;
        });
    }
}
