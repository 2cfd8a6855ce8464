package io.llmswarm.engine;

/**
 * One conversation's state on a shard: its id and the KV cache of the shard's layers. A session
 * is used by one request at a time; the engine serialises forward passes.
 */
public final class Session implements AutoCloseable {

    private final String id;
    private final KvCache cache;

    Session(String id, KvCache cache) {
        this.id = id;
        this.cache = cache;
    }

    public String id() {
        return id;
    }

    /** The next position this session expects. */
    public int length() {
        return cache.length();
    }

    public KvCache cache() {
        return cache;
    }

    /** Frees the KV cache. */
    @Override
    public void close() {
        cache.release();
    }
}
