package io.llmswarm.engine;

import java.util.concurrent.atomic.AtomicLong;

/** A bound on the bytes that all KV caches of an engine may hold together. */
public final class KvCacheBudget {

    private final long limitBytes;
    private final AtomicLong used = new AtomicLong();
    /** Frees memory held for reuse (caches of finished sessions) when a reservation would not fit. */
    private volatile Reclaimer reclaimer = bytes -> false;

    /** Something that can give memory back to this budget on demand. */
    @FunctionalInterface
    public interface Reclaimer {
        /** Frees what it can toward {@code bytes} (by releasing caches); returns whether it freed any. */
        boolean reclaim(long bytes);
    }

    public KvCacheBudget(long limitBytes) {
        if (limitBytes <= 0) {
            throw new IllegalArgumentException("a KV cache budget must be positive; got " + limitBytes);
        }
        this.limitBytes = limitBytes;
    }

    public long limitBytes() {
        return limitBytes;
    }

    public long usedBytes() {
        return used.get();
    }

    /**
     * Sets what frees memory held for reuse before a reservation is refused: caches kept for reuse
     * are evicted first, so they never cost a request its room.
     */
    public void reclaimWith(Reclaimer reclaimer) {
        this.reclaimer = reclaimer;
    }

    void reserve(long bytes) {
        long after = used.addAndGet(bytes);
        while (after > limitBytes) {
            used.addAndGet(-bytes);
            if (reclaimer.reclaim(after - limitBytes)) {
                after = used.addAndGet(bytes);
                continue;
            }
            throw new BudgetExceededException("KV cache budget exhausted: " + mib(after - bytes) + " of "
                    + mib(limitBytes) + " in use, " + mib(bytes) + " more requested");
        }
    }

    void release(long bytes) {
        used.addAndGet(-bytes);
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }

    /** Thrown when a session's cache cannot grow within the budget. */
    public static final class BudgetExceededException extends RuntimeException {
        BudgetExceededException(String message) {
            super(message);
        }
    }
}
