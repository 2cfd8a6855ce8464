package io.llmswarm.gateway;

import io.llmswarm.coordinator.Coordinator;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Publishes swarm changes on {@link BridgeAddresses#EVENTS} for bridge clients: every
 * {@code period} this node compares the swarm view with the last one (a read of the local mirror
 * of the announcements, which never blocks) and, when it changed, publishes {@code {"type":
 * "swarm", "joined": [{"node_id", "layers"}], "left": [node ids], "ready", "ready_changed",
 * "missing_layers", "swarm": the view as GET /api/swarm shows it}}. Only to this node's own
 * clients: every node publishes what it sees.
 */
final class SwarmEvents {

    private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

    private final Vertx vertx;
    private final Coordinator coordinator;
    private JsonObject last;

    SwarmEvents(Vertx vertx, Coordinator coordinator) {
        this.vertx = vertx;
        this.coordinator = coordinator;
    }

    void start(long periodMillis) {
        last = coordinator.status().toJson();
        vertx.setPeriodic(periodMillis, id -> check());
    }

    private void check() {
        JsonObject now = coordinator.status().toJson();
        if (!now.equals(last)) {
            JsonObject event = change(last, now);
            last = now;
            vertx.eventBus().publish(BridgeAddresses.EVENTS, event, LOCAL);
        }
    }

    /** What differs between two views of the swarm (as {@code SwarmView.toJson()} writes them). */
    static JsonObject change(JsonObject before, JsonObject after) {
        Map<String, JsonObject> was = shardsById(before);
        Map<String, JsonObject> is = shardsById(after);
        JsonArray joined = new JsonArray();
        is.forEach((id, shard) -> {
            if (!was.containsKey(id)) {
                joined.add(new JsonObject().put("node_id", id)
                        .put("layers", shard.getInteger("layer_start") + "-" + shard.getInteger("layer_end")));
            }
        });
        JsonArray left = new JsonArray();
        was.keySet().stream().filter(id -> !is.containsKey(id)).forEach(left::add);
        boolean ready = after.getBoolean("ready", false);
        return new JsonObject().put("type", "swarm").put("joined", joined).put("left", left).put("ready", ready)
                .put("ready_changed", before == null || before.getBoolean("ready", false) != ready)
                .put("missing_layers", after.getJsonArray("missing_layers", new JsonArray())).put("swarm", after);
    }

    private static Map<String, JsonObject> shardsById(JsonObject view) {
        Map<String, JsonObject> byId = new LinkedHashMap<>();
        if (view != null) {
            view.getJsonArray("shards", new JsonArray()).forEach(s -> {
                JsonObject shard = (JsonObject) s;
                byId.put(shard.getString("node_id"), shard);
            });
        }
        return byId;
    }
}
