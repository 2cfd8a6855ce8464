package io.llmswarm.cluster;

import io.llmswarm.engine.LayerRange;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static io.llmswarm.cluster.Shards.MODEL;
import static io.llmswarm.cluster.Shards.loading;
import static io.llmswarm.cluster.Shards.shard;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SwarmViewTest {

    private static SwarmView view(ShardAnnouncement... shards) {
        return SwarmView.of(MODEL.fingerprint(), 32, List.of(shards));
    }

    @Test
    void readyWhenEveryLayerHasALoadedShard() {
        SwarmView view = view(shard("a", "0-7", 0), shard("b", "8-15", 0), shard("c", "16-23", 0), shard("d", "24-31", 0));
        assertTrue(view.isReady());
        assertNull(view.notReadyReason());
    }

    @Test
    void aLoadingShardLeavesItsLayersMissing() {
        SwarmView view = view(shard("a", "0-7", 0), loading("b", "8-15"), shard("c", "16-31", 0));
        assertFalse(view.isReady());
        assertEquals(List.of(new LayerRange(8, 15)), view.missingLayers());
        assertEquals(List.of(), view.unannouncedLayers());
        assertTrue(view.notReadyReason().contains("layers 8-15"), view.notReadyReason());
    }

    @Test
    void countsReplicasPerLayer() {
        SwarmView view = view(shard("a", "0-3", 0), shard("b", "2-5", 0));
        int[] counts = view.replicasPerLayer(true);
        assertArrayEquals(new int[] {1, 1, 2, 2, 1, 1, 0}, Arrays.copyOf(counts, 7));
        assertEquals(List.of(new LayerRange(6, 31)), view.missingLayers());
    }

    @Test
    void emptySwarmMissesEverything() {
        assertEquals(List.of(new LayerRange(0, 31)), view().missingLayers());
    }
}
