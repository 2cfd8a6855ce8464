package io.llmswarm.cluster;

import io.llmswarm.engine.LayerRange;

import java.util.List;

/** A chain of shards that together run layers 0..N-1 in order; each hop runs a span of its node's layers. */
public record Route(List<Hop> hops) {

    /** One node and the span of its layers it runs on this route. */
    public record Hop(ShardAnnouncement shard, LayerRange span) {

        public String nodeId() {
            return shard.nodeId();
        }

        public String address() {
            return shard.address();
        }
    }

    public Route {
        hops = List.copyOf(hops);
        if (hops.isEmpty()) {
            throw new IllegalArgumentException("a route needs at least one hop");
        }
    }

    public Hop first() {
        return hops.getFirst();
    }

    public Hop last() {
        return hops.getLast();
    }

    /** Whether this is a one-hop route through a whole-model replica, which generates on its own. */
    public boolean isReplica() {
        return hops.size() == 1 && first().shard().isReplica();
    }

    public int size() {
        return hops.size();
    }

    @Override
    public String toString() {
        return String.join(" -> ", hops.stream().map(h -> (h.shard().isReplica() ? h.shard().backend() + ":" : "")
                + h.nodeId() + "[" + h.span() + "]").toList());
    }
}
