package io.llmswarm.shard;

import io.llmswarm.engine.Session;
import io.llmswarm.sampling.SamplingConfig;
import io.llmswarm.sampling.TokenHistory;
import io.llmswarm.sampling.TokenSampler;

import java.util.concurrent.locks.ReentrantLock;

/**
 * A session on this shard: the engine session (the KV cache of this shard's layers) and, on the
 * final shard, the seeded sampler and the token history it reads. One step at a time holds the
 * lock; expiry skips a session that is busy.
 */
final class ShardSession {

    private final Session session;
    private final ReentrantLock lock = new ReentrantLock();
    private TokenSampler sampler;
    private TokenHistory history;
    private volatile long lastUsedNanos;
    private volatile int lastStep = -1;
    private volatile int runningStep = -1;

    ShardSession(Session session) {
        this.session = session;
        this.lastUsedNanos = System.nanoTime();
    }

    Session engineSession() {
        return session;
    }

    ReentrantLock lock() {
        return lock;
    }

    void touch() {
        lastUsedNanos = System.nanoTime();
    }

    long lastUsedNanos() {
        return lastUsedNanos;
    }

    /** A relayed step of this session ran here (its number, from the coordinator). */
    void finished(int step) {
        lastStep = step;
    }

    /** A relayed step of this session is waiting for the engine or running on it (-1: none). */
    void running(int step) {
        runningStep = step;
    }

    /** The relayed step waiting for or running on the engine, or -1. */
    int runningStep() {
        return runningStep;
    }

    /** The number of the last relayed step that ran here, or -1. */
    int lastStep() {
        return lastStep;
    }

    /**
     * The history of a step starting at {@code firstPosition}: a step from position 0 starts the
     * conversation afresh (and the sampler with it, past {@code drawsBefore} draws), so a replayed
     * session samples as the original would have gone on.
     */
    TokenHistory historyFor(int firstPosition, SamplingConfig config, long drawsBefore) {
        if (history == null || firstPosition == 0) {
            history = new TokenHistory(Math.max(1, config.repetitionLastN()));
            sampler = TokenSampler.create(config);
            sampler.skipDraws(drawsBefore);
        }
        return history;
    }

    TokenSampler sampler() {
        return sampler;
    }

    void close() {
        session.close();
    }
}
