package io.llmswarm.cluster;

import io.llmswarm.engine.LayerRange;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.llmswarm.cluster.Shards.MODEL;
import static io.llmswarm.cluster.Shards.loading;
import static io.llmswarm.cluster.Shards.shard;
import static org.junit.jupiter.api.Assertions.assertEquals;

class LayerChooserTest {

    private static final long LAYER = 100;

    private static LayerRange choose(long memory, ShardAnnouncement... shards) {
        return LayerChooser.choose(SwarmView.of(MODEL.fingerprint(), 32, List.of(shards)),
                new LayerChooser.Capacity(memory, LAYER, 50));
    }

    @Test
    void firstNodeTakesWhatFitsFromLayerZero() {
        assertEquals(new LayerRange(0, 7), choose(850));
        assertEquals(new LayerRange(0, 31), choose(1 << 20));
    }

    @Test
    void fillsTheFirstGapEvenWhenItsShardIsStillLoading() {
        assertEquals(new LayerRange(16, 23), choose(10_000, shard("a", "0-7", 0), loading("b", "8-15"),
                shard("d", "24-31", 0)));
        assertEquals(new LayerRange(8, 11), choose(450, shard("a", "0-7", 0)));
    }

    @Test
    void whenAllIsCoveredCopiesTheLeastReplicatedShardThatFits() {
        LayerRange chosen = choose(10_000, shard("a", "0-7", 0), shard("a2", "0-7", 0), shard("b", "8-15", 0),
                shard("b2", "8-15", 0), shard("c", "16-31", 0));
        assertEquals(new LayerRange(16, 31), chosen);
    }

    @Test
    void tooLittleMemoryForAnyShardTakesTheLeastReplicatedRun() {
        LayerRange chosen = choose(450, shard("a", "0-15", 0), shard("a2", "0-15", 0), shard("b", "16-31", 0));
        assertEquals(new LayerRange(16, 19), chosen);
    }

    @Test
    void atLeastOneLayerEvenWithoutMemory() {
        assertEquals(new LayerRange(0, 0), choose(0));
    }
}
