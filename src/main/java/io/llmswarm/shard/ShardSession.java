package io.llmswarm.shard;

import io.llmswarm.engine.LayerRange;
import io.llmswarm.engine.Session;
import io.llmswarm.sampling.SamplingConfig;
import io.llmswarm.sampling.TokenHistory;
import io.llmswarm.sampling.TokenSampler;

import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A session on this shard: the engine session (the KV cache of this shard's layers) and, on the
 * final shard, the seeded sampler and the token history it reads. One step at a time holds the
 * lock; expiry skips a session that is busy.
 */
final class ShardSession {

    private final Session session;
    private final LayerRange span;
    /** The token ids at the positions the KV cache holds ({@code [0, fedLength)}), for the prompt cache. */
    private int[] fed = new int[64];
    private int fedLength;
    private final ReentrantLock lock = new ReentrantLock();
    private TokenSampler sampler;
    private TokenHistory history;
    private volatile long lastUsedNanos;
    private volatile int lastStep = -1;
    private volatile int runningStep = -1;

    /** @param prefix the token ids of the positions {@code session} starts with (copied from the prompt cache) */
    ShardSession(Session session, LayerRange span, int[] prefix) {
        this.session = session;
        this.span = span;
        this.lastUsedNanos = System.nanoTime();
        fed(0, prefix);
    }

    /** The span of this shard's layers the session runs (one per session). */
    LayerRange span() {
        return span;
    }

    /** A step from {@code firstPosition} is about to replace the positions from there on. */
    void replacing(int firstPosition) {
        fedLength = Math.min(fedLength, firstPosition);
    }

    /** A step put {@code tokens} at positions from {@code firstPosition} into the KV cache. */
    void fed(int firstPosition, int[] tokens) {
        int end = firstPosition + tokens.length;
        if (end > fed.length) {
            fed = Arrays.copyOf(fed, Math.max(end, fed.length * 2));
        }
        System.arraycopy(tokens, 0, fed, firstPosition, tokens.length);
        fedLength = end;
    }

    /** The token ids whose keys and values the KV cache holds, position 0 on. */
    int[] fedTokens() {
        return Arrays.copyOf(fed, Math.min(fedLength, session.length()));
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
     * session samples as the original would have gone on. A session that started from a cached
     * prefix has those tokens in its history first, as if it had computed them.
     */
    TokenHistory historyFor(int firstPosition, SamplingConfig config, long drawsBefore, int[] prefix) {
        if (history == null || firstPosition == 0) {
            history = new TokenHistory(Math.max(1, config.repetitionLastN()));
            history.addAll(prefix); // a session that started from the prompt cache: those tokens came first
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
