package io.llmswarm.coordinator;

import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.Route;
import io.llmswarm.cluster.RoutePlanner;
import io.llmswarm.cluster.ShardAnnouncement;
import io.llmswarm.cluster.SwarmNotReadyException;
import io.llmswarm.cluster.SwarmView;
import io.llmswarm.engine.LayerRange;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Route choice among llama.cpp replicas and Java pipelines of one 8-layer model, without a cluster. */
class RouteChooserTest {

    private static final ShardAnnouncement.ModelIdentity MODEL = new ShardAnnouncement.ModelIdentity("f00d", "test", 8);

    private final RouteChooser chooser = new RouteChooser(new RoutePlanner(RoutePlanner.SpanPolicy.SUB_SPANS));

    private static ShardAnnouncement replica(String node, int limit, int load) {
        return new ShardAnnouncement(node, MODEL, new LayerRange(0, 7), ShardAnnouncement.LLAMACPP_BACKEND,
                Addresses.replicaGenerate(node), limit, load, true);
    }

    private static ShardAnnouncement shard(String node, String layers, int load) {
        return new ShardAnnouncement(node, MODEL, LayerRange.parse(layers), ShardAnnouncement.JAVA_BACKEND,
                Addresses.shardExecute(node), 16, load, true);
    }

    private static SwarmView view(ShardAnnouncement... shards) {
        return SwarmView.of(MODEL.fingerprint(), 8, List.of(shards));
    }

    private String next(SwarmView view) {
        Route route = chooser.require(view, true);
        chooser.hold(route);
        return route.toString();
    }

    @Test
    void aReplicaIsAOneHopRouteNamedWithItsBackend() {
        Route route = chooser.require(view(replica("r", 2, 0)), true);
        assertTrue(route.isReplica());
        assertEquals("llamacpp:r[0-7]", route.toString());
    }

    @Test
    void theLeastLoadedRouteWinsByAnnouncedLoad() {
        SwarmView view = view(replica("r1", 4, 2), replica("r2", 4, 1), shard("a", "0-3", 3), shard("b", "4-7", 0));
        assertEquals("llamacpp:r2[0-7]", chooser.require(view, true).toString());
        SwarmView busyReplicas = view(replica("r1", 4, 2), replica("r2", 4, 2), shard("a", "0-3", 1), shard("b", "4-7", 0));
        assertEquals("a[0-3] -> b[4-7]", chooser.require(busyReplicas, true).toString());
    }

    @Test
    void aBurstSpreadsOverEveryRouteByLocalInFlightCounts() {
        SwarmView view = view(replica("r1", 4, 0), replica("r2", 4, 0), shard("a", "0-3", 0), shard("b", "4-7", 0));
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 9; i++) {
            counts.merge(next(view), 1, Integer::sum);
        }
        assertEquals(Map.of("llamacpp:r1[0-7]", 3, "llamacpp:r2[0-7]", 3, "a[0-3] -> b[4-7]", 3), counts);
    }

    @Test
    void aReplicaAtItsLimitIsSkippedWhileAnotherRouteHasRoom() {
        SwarmView view = view(replica("r", 1, 0), shard("a", "0-3", 5), shard("b", "4-7", 5));
        assertEquals("llamacpp:r[0-7]", next(view));
        // r now holds one request of its one slot: the much busier pipeline is used instead of queueing.
        assertEquals("a[0-3] -> b[4-7]", next(view));
        assertEquals("a[0-3] -> b[4-7]", next(view));
        SwarmView fullByAnnouncement = view(replica("r2", 2, 2), shard("c", "0-7", 9));
        assertEquals("c[0-7]", chooser.require(fullByAnnouncement, true).toString());
    }

    @Test
    void aPipelineWithoutFreeSessionSlotsYieldsToAFullReplica() {
        ShardAnnouncement noSlots = shard("a", "0-3", 0).withLoad(0, 0);
        SwarmView view = view(replica("r", 1, 1), noSlots, shard("b", "4-7", 0));
        assertEquals("llamacpp:r[0-7]", chooser.require(view, true).toString());
    }

    @Test
    void atEqualLoadTheReplicaWithMoreFreeSlotsWins() {
        SwarmView view = view(replica("small", 2, 1), replica("big", 8, 1));
        assertEquals("llamacpp:big[0-7]", chooser.require(view, true).toString());
        SwarmView idle = view(replica("a-small", 1, 0), replica("b-big", 4, 0));
        assertEquals("llamacpp:b-big[0-7]", chooser.require(idle, true).toString(), "not the node id's order");
    }

    @Test
    void whenEveryReplicaIsFullTheLeastLoadedOneQueues() {
        SwarmView view = view(replica("r1", 1, 3), replica("r2", 1, 1));
        assertEquals("llamacpp:r2[0-7]", chooser.require(view, true).toString());
    }

    @Test
    void releasingARouteFreesItsCount() {
        SwarmView view = view(replica("r1", 1, 0), replica("r2", 1, 0));
        Route first = chooser.require(view, true);
        chooser.hold(first);
        assertEquals(1, chooser.inFlight("r1"));
        chooser.release(first);
        assertEquals(0, chooser.inFlight("r1"));
        assertEquals("llamacpp:r1[0-7]", chooser.require(view, true).toString());
    }

    @Test
    void requestsReplicasCannotServeTakeThePipelineOrGetAClearError() {
        assertEquals("a[0-3] -> b[4-7]",
                chooser.require(view(replica("r", 4, 0), shard("a", "0-3", 9), shard("b", "4-7", 9)), false).toString());
        IllegalArgumentException onlyReplicas = assertThrows(IllegalArgumentException.class,
                () -> chooser.require(view(replica("r", 4, 0)), false));
        assertTrue(onlyReplicas.getMessage().contains("only llama.cpp replicas"), onlyReplicas.getMessage());
    }

    @Test
    void aReplicaNeverServesAsAHopOfAPipeline() {
        // Layers 0-3 come only from a replica, which cannot run a span: no pipeline, only the replica itself.
        SwarmView view = view(replica("r", 4, 0), shard("b", "4-7", 0));
        assertEquals(List.of("llamacpp:r[0-7]"), chooser.candidates(view, true).stream()
                .map(c -> c.route().toString()).toList());
        assertThrows(SwarmNotReadyException.class, () -> chooser.require(view(shard("b", "4-7", 0)), true));
    }

    /**
     * A follow-up goes to the pipeline that keeps its prompt's prefix while that pipeline is at most
     * {@link RouteChooser#PREFIX_SLACK} requests busier than the best route, and not to one whose
     * node left, holds other layers now, or has no free session slot.
     */
    @Test
    void aRouteThatKeepsThePrefixIsPreferredWithinTheSlack() {
        List<PrefixDirectory.NodeSpan> kept = List.of(new PrefixDirectory.NodeSpan("a", LayerRange.parse("0-3")),
                new PrefixDirectory.NodeSpan("b", LayerRange.parse("4-7")));
        SwarmView slightlyBusier = view(replica("r", 4, 0), shard("a", "0-3", 2), shard("b", "4-7", 1));
        assertEquals("llamacpp:r[0-7]", chooser.require(slightlyBusier, true).toString());
        assertEquals("a[0-3] -> b[4-7]", chooser.withPrefix(slightlyBusier, kept, true).orElseThrow().toString());

        SwarmView muchBusier = view(replica("r", 4, 0), shard("a", "0-3", 3), shard("b", "4-7", 1));
        assertTrue(chooser.withPrefix(muchBusier, kept, true).isEmpty(), "3 more requests than the replica's");

        assertTrue(chooser.withPrefix(view(replica("r", 4, 0), shard("a", "0-3", 0)), kept, true).isEmpty(), "b left");
        assertTrue(chooser.withPrefix(view(shard("a", "0-3", 0), shard("b", "5-7", 0), shard("c", "4-4", 0)), kept, true)
                .isEmpty(), "b holds other layers now");
        ShardAnnouncement full = new ShardAnnouncement("b", MODEL, LayerRange.parse("4-7"), ShardAnnouncement.JAVA_BACKEND,
                Addresses.shardExecute("b"), 0, 0, true);
        assertTrue(chooser.withPrefix(view(shard("a", "0-3", 0), full, shard("c", "4-7", 0)), kept, true).isEmpty(),
                "b has no free session slot");
        // A sub-span of what a node holds still finds the node.
        assertEquals("a[0-3] -> b[4-7]", chooser.withPrefix(view(shard("a", "0-5", 0), shard("b", "4-7", 0)), kept, true)
                .orElseThrow().toString());
    }
}
