package io.llmswarm.cluster;

import io.llmswarm.engine.LayerRange;
import io.vertx.core.json.JsonObject;

/**
 * What a node tells the swarm it holds: its node id (the Hazelcast member id), the model's
 * fingerprint and layer count, the layers it serves, its backend, the event-bus address of its
 * shard, how many more sessions it can take (free KV-cache slots), how many steps it is running
 * (load), whether its weights are loaded, and the kernel threads it runs them with (0: not said).
 */
public record ShardAnnouncement(String nodeId, ModelIdentity model, LayerRange layers, String backend,
                                String address, int capacity, int load, boolean ready, int threads) {

    /** An announcement that does not say its threads. */
    public ShardAnnouncement(String nodeId, ModelIdentity model, LayerRange layers, String backend,
                             String address, int capacity, int load, boolean ready) {
        this(nodeId, model, layers, backend, address, capacity, load, ready, 0);
    }

    /** The same announcement saying that the node runs {@code value} kernel threads. */
    public ShardAnnouncement withThreads(int value) {
        return new ShardAnnouncement(nodeId, model, layers, backend, address, capacity, load, ready, value);
    }

    /** The backend of a node that runs layers with the Java engine, step by step. */
    public static final String JAVA_BACKEND = "java";

    /** The backend of a whole-model replica run by llama.cpp: a one-hop route that streams text. */
    public static final String LLAMACPP_BACKEND = "llamacpp";

    /**
     * Whether this node is a whole-model replica (it generates on its own and cannot run a span of
     * a route); its capacity is then its concurrency limit and its load the generations in flight.
     */
    public boolean isReplica() {
        return LLAMACPP_BACKEND.equals(backend);
    }

    /** The model a shard belongs to: fingerprint (pairs nodes up), display name and layer count. */
    public record ModelIdentity(String fingerprint, String name, int blockCount) {
    }

    public ShardAnnouncement withLoad(int capacity, int load) {
        return new ShardAnnouncement(nodeId, model, layers, backend, address, capacity, load, ready, threads);
    }

    /** The same node announcing {@code value} as its layers (a part of what it loaded, or all of it again). */
    public ShardAnnouncement withLayers(LayerRange value) {
        return new ShardAnnouncement(nodeId, model, value, backend, address, capacity, load, ready, threads);
    }

    public ShardAnnouncement withReady(boolean value) {
        return new ShardAnnouncement(nodeId, model, layers, backend, address, capacity, load, value, threads);
    }

    public JsonObject toJson() {
        return new JsonObject().put("node_id", nodeId).put("fingerprint", model.fingerprint())
                .put("model", model.name()).put("block_count", model.blockCount())
                .put("layer_start", layers.first()).put("layer_end", layers.last()).put("backend", backend)
                .put("address", address).put("capacity", capacity).put("load", load).put("ready", ready)
                .put("threads", threads);
    }

    public static ShardAnnouncement fromJson(JsonObject json) {
        return new ShardAnnouncement(json.getString("node_id"),
                new ModelIdentity(json.getString("fingerprint"), json.getString("model"), json.getInteger("block_count")),
                new LayerRange(json.getInteger("layer_start"), json.getInteger("layer_end")),
                json.getString("backend"), json.getString("address"), json.getInteger("capacity"),
                json.getInteger("load"), json.getBoolean("ready"), json.getInteger("threads", 0));
    }
}
