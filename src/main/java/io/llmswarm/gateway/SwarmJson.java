package io.llmswarm.gateway;

import com.hazelcast.cluster.Member;
import io.llmswarm.coordinator.Coordinator;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.HashMap;
import java.util.Map;

/**
 * The swarm as {@code GET /api/swarm} and the swarm events show it: the coordinator's view, each
 * shard with its node's cluster address ({@code "member_address": "host:port"}, from this member's
 * list of Hazelcast members, a local read that never blocks) where this node is clustered.
 */
final class SwarmJson {

    private SwarmJson() {
    }

    static JsonObject view(Vertx vertx, Coordinator coordinator) {
        JsonObject view = coordinator.status().toJson();
        Map<String, String> addresses = memberAddresses(vertx);
        if (!addresses.isEmpty()) {
            view.getJsonArray("shards", new JsonArray()).forEach(s -> {
                JsonObject shard = (JsonObject) s;
                String address = addresses.get(shard.getString("node_id"));
                if (address != null) {
                    shard.put("member_address", address);
                }
            });
        }
        return view;
    }

    /** Member id (a shard's node id) to {@code host:port}; empty when Vert.x is not clustered with Hazelcast. */
    static Map<String, String> memberAddresses(Vertx vertx) {
        Map<String, String> addresses = new HashMap<>();
        if (vertx instanceof VertxInternal internal && internal.clusterManager() instanceof HazelcastClusterManager hazelcast
                && hazelcast.getHazelcastInstance() != null) {
            for (Member member : hazelcast.getHazelcastInstance().getCluster().getMembers()) {
                addresses.put(member.getUuid().toString(), member.getAddress().getHost() + ":" + member.getAddress().getPort());
            }
        }
        return addresses;
    }
}
