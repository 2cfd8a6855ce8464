package io.llmswarm.cluster;

import io.llmswarm.engine.LayerRange;

/** Announcements for planner and view tests. */
final class Shards {

    static final ShardAnnouncement.ModelIdentity MODEL = new ShardAnnouncement.ModelIdentity("f00d", "test", 32);

    private Shards() {
    }

    static ShardAnnouncement shard(String node, String layers, int load) {
        return new ShardAnnouncement(node, MODEL, LayerRange.parse(layers), "java", Addresses.shardExecute(node), 8,
                load, true);
    }

    static ShardAnnouncement loading(String node, String layers) {
        return shard(node, layers, 0).withReady(false);
    }
}
