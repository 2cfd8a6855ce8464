package io.llmswarm.gateway;

import io.llmswarm.cluster.ShardAnnouncement;
import io.llmswarm.cluster.SwarmView;
import io.llmswarm.coordinator.Incident;
import io.llmswarm.engine.LayerRange;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a bridge client hears on {@code swarm.public.events} when the swarm changes. */
class SwarmEventsTest {

    private static final ShardAnnouncement.ModelIdentity MODEL = new ShardAnnouncement.ModelIdentity("f00d", "m", 8);

    private static ShardAnnouncement shard(String id, int first, int last) {
        return new ShardAnnouncement(id, MODEL, new LayerRange(first, last), "java", "llm.shard." + id + ".execute", 4, 0, true);
    }

    private static JsonObject view(ShardAnnouncement... shards) {
        return new SwarmView("f00d", 8, List.of(shards)).toJson();
    }

    @Test
    void aNodeThatJoinsAndCompletesTheLayersMakesTheSwarmReady() {
        JsonObject event = SwarmEvents.change(view(shard("a", 0, 3)), view(shard("a", 0, 3), shard("b", 4, 7)));
        assertEquals(new JsonArray().add(new JsonObject().put("node_id", "b").put("layers", "4-7")), event.getJsonArray("joined"));
        assertEquals(new JsonArray(), event.getJsonArray("left"));
        assertTrue(event.getBoolean("ready"));
        assertTrue(event.getBoolean("ready_changed"));
        assertEquals(2, event.getJsonObject("swarm").getJsonArray("shards").size());
    }

    @Test
    void aNodeThatLeavesNamesItselfAndTheMissingLayers() {
        JsonObject event = SwarmEvents.change(view(shard("a", 0, 3), shard("b", 4, 7)), view(shard("a", 0, 3)));
        assertEquals(new JsonArray().add("b"), event.getJsonArray("left"));
        assertFalse(event.getBoolean("ready"));
        assertTrue(event.getBoolean("ready_changed"));
        assertEquals(new JsonArray().add("4-7"), event.getJsonArray("missing_layers"));
    }

    @Test
    void aChangeOfLoadKeepsReadinessAndMembership() {
        JsonObject event = SwarmEvents.change(view(shard("a", 0, 7)), view(shard("a", 0, 7).withLoad(3, 1)));
        assertEquals(new JsonArray(), event.getJsonArray("joined"));
        assertEquals(new JsonArray(), event.getJsonArray("left"));
        assertFalse(event.getBoolean("ready_changed"));
    }

    @Test
    void aFailOverAndABreakerGoOutAsTheyHappen() {
        JsonObject failOver = SwarmEvents.incidentJson(new Incident.FailOver("r1", "shard b (layers 4-7) left the swarm", 1, "a[0-3] -> c[4-7]"));
        assertEquals(new JsonObject().put("type", "failover").put("request_id", "r1")
                .put("reason", "shard b (layers 4-7) left the swarm").put("attempt", 1).put("route", "a[0-3] -> c[4-7]"), failOver);
        assertEquals(new JsonObject().put("type", "breaker").put("node_id", "b").put("state", "open"),
                SwarmEvents.incidentJson(new Incident.Breaker("b", true)));
        assertEquals("closed", SwarmEvents.incidentJson(new Incident.Breaker("b", false)).getString("state"));
    }
}
