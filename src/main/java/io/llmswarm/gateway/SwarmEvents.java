package io.llmswarm.gateway;

import io.llmswarm.coordinator.Coordinator;
import io.llmswarm.coordinator.Incident;
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
 * clients: every node publishes what it sees. The coordinator's incidents go out as they happen:
 * {@code {"type": "failover", "request_id", "reason", "attempt", "route"}} when a request moves to a
 * new route, {@code {"type": "breaker", "node_id", "state": "open" | "closed"}} when a node's circuit
 * breaker opens (routes avoid it) or closes again.
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
        last = SwarmJson.view(vertx, coordinator);
        vertx.setPeriodic(periodMillis, id -> check());
        coordinator.watch(incident -> vertx.eventBus().publish(BridgeAddresses.EVENTS, incidentJson(incident), LOCAL));
    }

    static JsonObject incidentJson(Incident incident) {
        return switch (incident) {
            case Incident.FailOver f -> new JsonObject().put("type", "failover").put("request_id", f.requestId())
                    .put("reason", f.reason()).put("attempt", f.attempt()).put("route", f.route());
            case Incident.Breaker b -> new JsonObject().put("type", "breaker").put("node_id", b.nodeId())
                    .put("state", b.open() ? "open" : "closed");
        };
    }

    private void check() {
        JsonObject now = SwarmJson.view(vertx, coordinator);
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
