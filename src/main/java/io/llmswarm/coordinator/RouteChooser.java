package io.llmswarm.coordinator;

import io.llmswarm.cluster.Route;
import io.llmswarm.cluster.RoutePlanner;
import io.llmswarm.cluster.ShardAnnouncement;
import io.llmswarm.cluster.SwarmNotReadyException;
import io.llmswarm.cluster.SwarmView;
import io.llmswarm.engine.LayerRange;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;

/**
 * Chooses a request's route among every way the swarm serves the model: each whole-model replica
 * (one hop) and the best pipeline of Java shards. Least outstanding work first, where a node's
 * work is the larger of what it announced (refreshed every fraction of a second) and what this
 * coordinator has in flight on it (exact, immediate: a burst of requests spreads before any
 * announcement catches up). Requests of this coordinator that ended in the last second are taken
 * off the announced load, which may not show their end yet. A replica at its concurrency limit is passed over while another route
 * has room; only when every route is full does a request queue behind the least busy one. Ties go
 * to fewer hops, then to more free slots (a replica with more llama.cpp slots left), then to the
 * node id, so the choice is repeatable.
 */
public final class RouteChooser {

    private final RoutePlanner planner;
    /** How long an announcement may lag behind a request's end (it is republished every 250 ms-1 s). */
    private static final long ANNOUNCEMENT_LAG_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Map<String, Integer> inFlight = new ConcurrentHashMap<>();
    private final Map<String, Deque<Long>> recentlyEnded = new ConcurrentHashMap<>();

    public RouteChooser(RoutePlanner planner) {
        this.planner = planner;
    }

    /**
     * The route for a request, or empty when none can serve it.
     *
     * @param replicasAllowed false when the request needs what llama.cpp replicas cannot give here
     *                        (prompt token ids, log-probabilities, a replay of known token ids)
     */
    public Optional<Route> choose(SwarmView view, boolean replicasAllowed) {
        return candidates(view, replicasAllowed).stream().findFirst().map(Candidate::route);
    }

    /**
     * The route through {@code hops} (each node still ready in {@code view} and holding its span),
     * when it is not much busier than the best route: a request whose prompt prefix those shards
     * keep goes there unless its busiest node has more than {@link #PREFIX_SLACK} requests more
     * than the best route's, or no session slot.
     */
    Optional<Route> withPrefix(SwarmView view, List<PrefixDirectory.NodeSpan> hops, boolean replicasAllowed) {
        List<Candidate> all = candidates(view, replicasAllowed);
        if (all.isEmpty()) {
            return Optional.empty();
        }
        List<Route.Hop> route = new ArrayList<>();
        int load = 0;
        for (PrefixDirectory.NodeSpan hop : hops) {
            Optional<ShardAnnouncement> shard = view.readyShards().stream()
                    .filter(s -> s.nodeId().equals(hop.nodeId()) && !s.isReplica() && s.layers().contains(hop.span()))
                    .findFirst();
            if (shard.isEmpty() || shard.get().capacity() <= 0) {
                return Optional.empty();
            }
            route.add(new Route.Hop(shard.get(), hop.span()));
            load = Math.max(load, busyLoad(shard.get()));
        }
        return load <= all.getFirst().load() + PREFIX_SLACK ? Optional.of(new Route(route)) : Optional.empty();
    }

    /** How many more requests a route that keeps a prompt's prefix may have in flight than the least busy route. */
    static final int PREFIX_SLACK = 2;

    /** The least busy replica route, or empty when no replica serves the model. */
    public Optional<Route> chooseReplica(SwarmView view) {
        return candidates(view, true).stream().map(Candidate::route).filter(Route::isReplica).findFirst();
    }

    /** As {@link #choose}, but says why there is no route. */
    public Route require(SwarmView view, boolean replicasAllowed) {
        if (!view.isReady()) {
            throw new SwarmNotReadyException(view.notReadyReason());
        }
        return choose(view, replicasAllowed).orElseThrow(() -> {
            boolean replicasOnly = view.readyShards().stream().anyMatch(ShardAnnouncement::isReplica)
                    && !replicasAllowed;
            if (replicasOnly && planner.plan(pipelineView(view, List.of())).isEmpty()) {
                return new IllegalArgumentException("only llama.cpp replicas serve this model now, and they take a prompt "
                        + "as text and give no log-probabilities: send \"prompt\" as text without log-probabilities");
            }
            return new SwarmNotReadyException("no chain of ready shards runs layers 0-" + (view.blockCount() - 1)
                    + " in order; ready nodes hold " + String.join(", ", view.readyShards().stream()
                    .map(s -> s.layers() + (s.isReplica() ? " (llamacpp)" : "")).toList()));
        });
    }

    /** Every route that could serve, best first. */
    List<Candidate> candidates(SwarmView view, boolean replicasAllowed) {
        List<ShardAnnouncement> busy = view.readyShards().stream().map(s -> s.withLoad(s.capacity(), busyLoad(s))).toList();
        List<Candidate> candidates = new ArrayList<>();
        LayerRange all = new LayerRange(0, view.blockCount() - 1);
        for (ShardAnnouncement shard : busy) {
            if (replicasAllowed && shard.isReplica() && shard.layers().first() == 0
                    && shard.layers().last() >= all.last()) {
                candidates.add(new Candidate(new Route(List.of(new Route.Hop(shard, all))), shard.load(),
                        shard.load() >= shard.capacity() ? Candidate.QUEUES : Candidate.ROOM,
                        Math.max(0, shard.capacity() - shard.load())));
            }
        }
        // A Java shard announces its free KV-cache slots as capacity: with none left it refuses a session.
        planner.plan(pipelineView(view, busy)).ifPresent(route -> candidates.add(new Candidate(route,
                route.hops().stream().mapToInt(hop -> hop.shard().load()).max().orElse(0),
                route.hops().stream().anyMatch(hop -> hop.shard().capacity() <= 0) ? Candidate.REFUSES : Candidate.ROOM,
                route.hops().stream().mapToInt(hop -> Math.max(0, hop.shard().capacity())).min().orElse(0))));
        // Equal work and hops: the route with more free slots (a replica with more llama.cpp slots left) first.
        candidates.sort(Comparator.comparingInt(Candidate::fullness).thenComparingInt(Candidate::load)
                .thenComparingInt(c -> c.route().size())
                .thenComparing(Comparator.comparingInt(Candidate::freeSlots).reversed())
                .thenComparing(c -> c.route().first().nodeId()));
        return candidates;
    }

    /** The Java shards only (a replica cannot run a span of a route); {@code busy} when given, else the view's. */
    private static SwarmView pipelineView(SwarmView view, List<ShardAnnouncement> busy) {
        List<ShardAnnouncement> shards = busy.isEmpty() ? view.readyShards() : busy;
        return new SwarmView(view.fingerprint(), view.blockCount(), shards.stream().filter(s -> !s.isReplica()).toList());
    }

    /**
     * A node's outstanding work: the larger of what it announced (less this coordinator's requests
     * that ended since) and what this coordinator has in flight on it.
     */
    private int busyLoad(ShardAnnouncement shard) {
        return Math.max(shard.load() - recentlyEnded(shard.nodeId()), inFlight(shard.nodeId()));
    }

    /** Counts a request on every node of its route until {@link #release}. */
    public void hold(Route route) {
        route.hops().forEach(hop -> inFlight.merge(hop.nodeId(), 1, Integer::sum));
    }

    /** The request no longer runs on this route. */
    public void release(Route route) {
        long now = System.nanoTime();
        for (Route.Hop hop : route.hops()) {
            inFlight.computeIfPresent(hop.nodeId(), (id, n) -> n <= 1 ? null : n - 1);
            recentlyEnded.computeIfAbsent(hop.nodeId(), id -> new ConcurrentLinkedDeque<>()).add(now);
        }
    }

    /** This coordinator's requests on a node that ended within the announcement lag. */
    private int recentlyEnded(String nodeId) {
        Deque<Long> ends = recentlyEnded.get(nodeId);
        if (ends == null) {
            return 0;
        }
        long now = System.nanoTime();
        Long oldest;
        while ((oldest = ends.peekFirst()) != null && now - oldest > ANNOUNCEMENT_LAG_NANOS) {
            ends.pollFirst();
        }
        return ends.size();
    }

    /** Requests of this coordinator in flight on a node. */
    public int inFlight(String nodeId) {
        return inFlight.getOrDefault(nodeId, 0);
    }

    /**
     * A possible route, the outstanding work on its busiest node, how full it is: room, a
     * replica at its limit (llama.cpp would queue the request), or a pipeline whose shard has no
     * free session slot (it would refuse); and its free slots (a replica's llama.cpp slots left, a
     * pipeline's fewest free session slots on a hop).
     */
    record Candidate(Route route, int load, int fullness, int freeSlots) {
        static final int ROOM = 0;
        static final int QUEUES = 1;
        static final int REFUSES = 2;
    }
}
