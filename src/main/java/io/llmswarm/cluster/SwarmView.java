package io.llmswarm.cluster;

import io.llmswarm.engine.LayerRange;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * The swarm as seen for one model: which announced shards hold it, how many ready shards cover
 * each layer, and whether every layer 0..N-1 is covered by a loaded shard (ready).
 */
public record SwarmView(String fingerprint, int blockCount, List<ShardAnnouncement> shards) {

    public SwarmView {
        shards = List.copyOf(shards);
    }

    /** The shards of {@code all} that hold the model with this fingerprint, by first layer. */
    public static SwarmView of(String fingerprint, int blockCount, Collection<ShardAnnouncement> all) {
        List<ShardAnnouncement> mine = new ArrayList<>();
        for (ShardAnnouncement a : all) {
            if (a.model().fingerprint().equals(fingerprint)) {
                mine.add(a);
            }
        }
        mine.sort(Comparator.comparingInt((ShardAnnouncement a) -> a.layers().first()).thenComparing(ShardAnnouncement::nodeId));
        return new SwarmView(fingerprint, blockCount, mine);
    }

    public List<ShardAnnouncement> readyShards() {
        return shards.stream().filter(ShardAnnouncement::ready).toList();
    }

    /** How many shards serve each layer; only loaded ones when {@code readyOnly}. */
    public int[] replicasPerLayer(boolean readyOnly) {
        int[] counts = new int[blockCount];
        for (ShardAnnouncement a : shards) {
            if (a.ready() || !readyOnly) {
                for (int l = a.layers().first(); l <= Math.min(a.layers().last(), blockCount - 1); l++) {
                    counts[l]++;
                }
            }
        }
        return counts;
    }

    /** The spans of layers no ready shard serves, in order. */
    public List<LayerRange> missingLayers() {
        return gaps(replicasPerLayer(true));
    }

    /** The spans of layers no announced shard serves, loaded or not. */
    public List<LayerRange> unannouncedLayers() {
        return gaps(replicasPerLayer(false));
    }

    public boolean isReady() {
        return blockCount > 0 && missingLayers().isEmpty();
    }

    /** Why the swarm cannot serve the model, or null when it can. */
    public String notReadyReason() {
        List<LayerRange> missing = missingLayers();
        if (missing.isEmpty()) {
            return null;
        }
        return "the swarm is not ready: no loaded shard serves layers " + describe(missing) + " of model "
                + fingerprint.substring(0, Math.min(12, fingerprint.length())) + " (layers 0-" + (blockCount - 1) + ")";
    }

    public JsonObject toJson() {
        JsonArray shardsJson = new JsonArray();
        shards.forEach(s -> shardsJson.add(s.toJson()));
        JsonArray missing = new JsonArray();
        missingLayers().forEach(r -> missing.add(r.toString()));
        return new JsonObject().put("fingerprint", fingerprint).put("block_count", blockCount)
                .put("ready", isReady()).put("missing_layers", missing).put("shards", shardsJson);
    }

    static String describe(List<LayerRange> ranges) {
        return String.join(", ", ranges.stream().map(LayerRange::toString).toList());
    }

    private static List<LayerRange> gaps(int[] counts) {
        List<LayerRange> gaps = new ArrayList<>();
        int start = -1;
        for (int l = 0; l <= counts.length; l++) {
            boolean missing = l < counts.length && counts[l] == 0;
            if (missing && start < 0) {
                start = l;
            } else if (!missing && start >= 0) {
                gaps.add(new LayerRange(start, l - 1));
                start = -1;
            }
        }
        return gaps;
    }
}
