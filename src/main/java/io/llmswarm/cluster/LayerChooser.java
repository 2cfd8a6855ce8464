package io.llmswarm.cluster;

import io.llmswarm.engine.LayerRange;

/**
 * Chooses the layers a new node takes ({@code --layers auto}): the first span no shard announces
 * yet, or, when every layer is announced, the least-replicated span, in both cases no more layers
 * than the node's memory holds. A replica copies an announced shard's exact range when one fits,
 * so that routes can use it in place of that shard.
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
}
