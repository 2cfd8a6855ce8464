package io.llmswarm.cluster;

import io.llmswarm.engine.LayerRange;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
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
    void whenAllIsCoveredTakesTheBackHalfOfTheWidestShard() {
        LayerRange chosen = choose(10_000, shard("a", "0-7", 0), shard("a2", "0-7", 0), shard("b", "8-15", 0),
                shard("b2", "8-15", 0), shard("c", "16-31", 0));
        assertEquals(new LayerRange(24, 31), chosen);
        assertEquals(new LayerRange(16, 31), choose(10_000, shard("a", "0-31", 0)), "a second node halves the first's");
        assertEquals(new LayerRange(8, 15), choose(10_000, shard("a", "0-15", 0), shard("b", "16-31", 0)),
                "equal widths: the first in layer order");
    }

    @Test
    void tooLittleMemoryForHalfTakesTheLastLayersThatFit() {
        LayerRange chosen = choose(450, shard("a", "0-15", 0), shard("a2", "0-15", 0), shard("b", "16-31", 0));
        assertEquals(new LayerRange(12, 15), chosen);
    }

    @Test
    void singleLayerShardsAreCopiedLeastReplicatedFirst() {
        ShardAnnouncement[] shards = new ShardAnnouncement[32];
        for (int l = 0; l < 32; l++) {
            shards[l] = shard("n" + l, l + "-" + l, 0);
        }
        ShardAnnouncement[] withCopy = Arrays.copyOf(shards, 33);
        withCopy[32] = shard("copy", "0-0", 0);
        assertEquals(new LayerRange(0, 0), choose(10_000, shards));
        assertEquals(new LayerRange(1, 1), choose(10_000, withCopy));
    }

    /**
     * A node announces the front of what it loaded once ready nodes that start after its first
     * layer cover the rest; all of it again when they leave or are not ready; copies (nodes that
     * start at its first layer) and replicas never narrow it.
     */
    @Test
    void aNodeAnnouncesTheFrontOfItsLayersWhileLaterNodesServeTheBack() {
        LayerRange loaded = LayerRange.parse("0-31");
        assertEquals(LayerRange.parse("0-15"), narrowed(loaded, shard("me", "0-31", 0), shard("b", "16-31", 0)));
        assertEquals(LayerRange.parse("0-7"), narrowed(loaded, shard("b", "16-31", 0), shard("c", "8-15", 0)));
        assertEquals(loaded, narrowed(loaded, shard("c", "8-15", 0)), "nobody serves 16-31: all of it");
        assertEquals(loaded, narrowed(loaded, loading("b", "16-31")), "a node still loading does not count");
        assertEquals(loaded, narrowed(loaded, shard("copy", "0-31", 0)), "a copy does not narrow it");
        assertEquals(LayerRange.parse("0-0"), narrowed(loaded, shard("copy", "1-31", 0)));
        assertEquals(LayerRange.parse("8-9"), narrowed(LayerRange.parse("8-15"), shard("x", "10-31", 0)));
        assertEquals(LayerRange.parse("8-15"), narrowed(LayerRange.parse("8-15"), shard("x", "0-31", 0)),
                "a node that starts before it does not narrow it");
    }

    private static LayerRange narrowed(LayerRange loaded, ShardAnnouncement... others) {
        return LayerChooser.narrowed(loaded, SwarmView.of(MODEL.fingerprint(), 32, List.of(others)), "me");
    }

    @Test
    void atLeastOneLayerEvenWithoutMemory() {
        assertEquals(new LayerRange(0, 0), choose(0));
    }
}
