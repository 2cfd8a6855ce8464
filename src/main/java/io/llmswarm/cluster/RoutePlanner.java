package io.llmswarm.cluster;

import io.llmswarm.engine.LayerRange;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Plans a route through the ready shards of a model: a chain whose spans cover layers 0..N-1 in
 * order, with as few hops as possible, then the least total load. A shortest path over layer
 * boundaries: from boundary p a shard holding layer p leads to the boundary after a span it runs.
 * Whether a shard may run only part of its layers (a sub-span) is a policy; the engine runs any
 * sub-span of a shard's layers, so the coordinator plans with {@link SpanPolicy#SUB_SPANS}.
 */
public final class RoutePlanner {

    /** Which spans of a shard's layers a hop may run. */
    public enum SpanPolicy {
        /** A hop runs all the layers its shard holds. */
        WHOLE_RANGE,
        /** A hop may run any contiguous part of its shard's layers. */
        SUB_SPANS
    }

    private final SpanPolicy policy;

    public RoutePlanner(SpanPolicy policy) {
        this.policy = policy;
    }

    /** The best route over the view's ready shards, or empty when none covers every layer. */
    public Optional<Route> plan(SwarmView view) {
        int n = view.blockCount();
        List<ShardAnnouncement> shards = new ArrayList<>(view.readyShards());
        shards.sort(Comparator.comparing(ShardAnnouncement::nodeId));
        // best[p]: the cheapest known way to have run layers 0..p-1.
        Step[] best = new Step[n + 1];
        best[0] = new Step(0, 0, -1, null, null);
        for (int p = 0; p < n; p++) {
            if (best[p] == null) {
                continue;
            }
            for (ShardAnnouncement shard : shards) {
                LayerRange held = shard.layers();
                if (!held.contains(p) || (policy == SpanPolicy.WHOLE_RANGE && held.first() != p)) {
                    continue;
                }
                int lastEnd = Math.min(held.last(), n - 1);
                int firstEnd = policy == SpanPolicy.WHOLE_RANGE ? lastEnd : p;
                for (int end = firstEnd; end <= lastEnd; end++) {
                    Step candidate = new Step(best[p].hops + 1, best[p].load + Math.max(0, shard.load()), p, shard,
                            new LayerRange(p, end));
                    if (candidate.betterThan(best[end + 1])) {
                        best[end + 1] = candidate;
                    }
                }
            }
        }
        if (best[n] == null) {
            return Optional.empty();
        }
        List<Route.Hop> hops = new ArrayList<>();
        for (int p = n; p > 0; p = best[p].from) {
            hops.addFirst(new Route.Hop(best[p].shard, best[p].span));
        }
        return Optional.of(new Route(hops));
    }

    /** As {@link #plan}, but says what is missing when there is no route. */
    public Route require(SwarmView view) {
        return plan(view).orElseThrow(() -> new SwarmNotReadyException(view.notReadyReason() != null
                ? view.notReadyReason()
                : "no chain of ready shards runs layers 0-" + (view.blockCount() - 1)
                        + " in order with whole shard ranges; ready shards hold "
                        + SwarmView.describe(view.readyShards().stream().map(ShardAnnouncement::layers).toList())));
    }

    private record Step(int hops, long load, int from, ShardAnnouncement shard, LayerRange span) {
        boolean betterThan(Step other) {
            return other == null || hops < other.hops || (hops == other.hops && load < other.load);
        }
    }
}
