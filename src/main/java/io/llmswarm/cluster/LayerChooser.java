package io.llmswarm.cluster;

import io.llmswarm.engine.LayerRange;

/**
 * Chooses the layers a new node takes ({@code --layers auto}): the first span no shard announces
 * yet; when every layer is announced, the back half of the widest Java shard's span (that node then
 * announces only the front half, {@link #narrowed}), so that nodes started one after another split
 * the model among them; when no span has two layers left to split, the least-replicated span. Never
 * more layers than the node's memory holds. A copy takes an announced shard's exact range when one
 * fits, so that routes can use it in place of that shard.
 */
public final class LayerChooser {

    /** What the node can hold: the bytes it may use and what one layer costs (weights plus KV cache). */
    public record Capacity(long memoryBytes, long bytesPerLayer, long fixedBytes) {
        public Capacity {
            if (bytesPerLayer <= 0) {
                throw new IllegalArgumentException("bytes per layer must be positive; got " + bytesPerLayer);
            }
        }

        /** Layers that fit, at least one. */
        int layersThatFit() {
            return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (memoryBytes - fixedBytes) / bytesPerLayer));
        }
    }

    private LayerChooser() {
    }

    public static LayerRange choose(SwarmView view, Capacity capacity) {
        int n = view.blockCount();
        int fit = capacity.layersThatFit();
        var gaps = view.unannouncedLayers();
        if (!gaps.isEmpty()) {
            LayerRange gap = gaps.getFirst();
            return new LayerRange(gap.first(), Math.min(gap.last(), gap.first() + fit - 1));
        }
        ShardAnnouncement widest = null;
        for (ShardAnnouncement shard : view.shards()) {
            if (!shard.isReplica() && shard.layers().last() < n && shard.layers().size() >= 2
                    && (widest == null || shard.layers().size() > widest.layers().size())) {
                widest = shard;
            }
        }
        if (widest != null) {
            LayerRange span = widest.layers();
            int half = span.size() / 2;
            int take = Math.min(half, fit);
            return new LayerRange(span.last() - take + 1, span.last());
        }
        int[] replicas = view.replicasPerLayer(false);
        LayerRange copy = null;
        int copyReplicas = Integer.MAX_VALUE;
        for (ShardAnnouncement shard : view.shards()) {
            LayerRange r = shard.layers();
            int min = Integer.MAX_VALUE;
            for (int l = r.first(); l <= r.last() && l < n; l++) {
                min = Math.min(min, replicas[l]);
            }
            if (r.size() <= fit && r.last() < n
                    && (min < copyReplicas || (min == copyReplicas && r.first() < copy.first()))) {
                copy = r;
                copyReplicas = min;
            }
        }
        if (copy != null) {
            return copy;
        }
        int least = Integer.MAX_VALUE;
        int start = 0;
        for (int l = 0; l < n; l++) {
            if (replicas[l] < least) {
                least = replicas[l];
                start = l;
            }
        }
        int end = start;
        while (end + 1 < n && replicas[end + 1] == least && end + 1 - start < fit) {
            end++;
        }
        return new LayerRange(start, end);
    }

    /**
     * What a node that loaded {@code loaded} (with {@code --layers auto}) announces: the front of it,
     * up to where ready Java shards of other nodes that start after its first layer cover every layer
     * to its end (they took its back half, {@link #choose}), else all of it. So a node gives its back
     * layers to a newcomer once that one is ready, and announces them again, still loaded, when it
     * leaves. Nodes that start at the same layer (copies) never narrow each other.
     */
    public static LayerRange narrowed(LayerRange loaded, SwarmView view, String self) {
        int a = loaded.first();
        int b = loaded.last();
        boolean[] covered = new boolean[b - a + 1];
        for (ShardAnnouncement other : view.readyShards()) {
            LayerRange r = other.layers();
            if (other.nodeId().equals(self) || other.isReplica() || r.first() <= a || r.first() > b) {
                continue;
            }
            for (int l = r.first(); l <= Math.min(r.last(), b); l++) {
                covered[l - a] = true;
            }
        }
        int m = b + 1;
        while (m - 1 > a && covered[m - 1 - a]) {
            m--;
        }
        return m > b ? loaded : new LayerRange(a, m - 1);
    }
}
