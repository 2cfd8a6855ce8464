package io.llmswarm.cluster;

import io.llmswarm.engine.LayerRange;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.llmswarm.cluster.Shards.MODEL;
import static io.llmswarm.cluster.Shards.loading;
import static io.llmswarm.cluster.Shards.shard;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RoutePlannerTest {

    private static final RoutePlanner WHOLE = new RoutePlanner(RoutePlanner.SpanPolicy.WHOLE_RANGE);
    private static final RoutePlanner SUB = new RoutePlanner(RoutePlanner.SpanPolicy.SUB_SPANS);

    private static SwarmView view(ShardAnnouncement... shards) {
        return SwarmView.of(MODEL.fingerprint(), 32, List.of(shards));
    }

    @Test
    void fourShardsChainInLayerOrder() {
        Route route = WHOLE.require(view(shard("d", "24-31", 0), shard("b", "8-15", 0), shard("a", "0-7", 0),
                shard("c", "16-23", 0)));
        assertEquals("a[0-7] -> b[8-15] -> c[16-23] -> d[24-31]", route.toString());
    }

    @Test
    void fewerHopsWinOverLessLoad() {
        Route route = WHOLE.require(view(shard("a", "0-15", 0), shard("b", "16-31", 0), shard("whole", "0-31", 9)));
        assertEquals("whole[0-31]", route.toString());
    }

    @Test
    void amongEqualHopsTheLeastLoadedReplicaIsUsed() {
        Route route = WHOLE.require(view(shard("a1", "0-15", 3), shard("a2", "0-15", 1), shard("b", "16-31", 0)));
        assertEquals("a2[0-15] -> b[16-31]", route.toString());
    }

    @Test
    void shardsThatAreStillLoadingAreNotRouted() {
        assertTrue(WHOLE.plan(view(shard("a", "0-15", 0), loading("b", "16-31"))).isEmpty());
    }

    @Test
    void subSpansChainOverlappingShards() {
        SwarmView overlapping = view(shard("a", "0-15", 0), shard("b", "8-23", 0), shard("c", "16-31", 0));
        assertEquals("a[0-15] -> c[16-31]", SUB.require(overlapping).toString());
        SwarmView staggered = view(shard("a", "0-15", 0), shard("b", "8-31", 0));
        assertEquals(2, SUB.require(staggered).size());
        var e = assertThrows(SwarmNotReadyException.class, () -> WHOLE.require(staggered));
        assertTrue(e.getMessage().contains("whole shard ranges"), e.getMessage());
    }

    @Test
    void aGapIsNamedInTheError() {
        var e = assertThrows(SwarmNotReadyException.class,
                () -> WHOLE.require(view(shard("a", "0-7", 0), shard("c", "16-23", 0), shard("d", "24-30", 0))));
        assertTrue(e.getMessage().contains("layers 8-15, 31"), e.getMessage());
    }

    @Test
    void otherModelsAreIgnored() {
        ShardAnnouncement other = new ShardAnnouncement("x", new ShardAnnouncement.ModelIdentity("beef", "other", 32),
                LayerRange.parse("0-31"), "java", "addr", 1, 0, true);
        assertTrue(WHOLE.plan(view(other)).isEmpty());
    }
}
