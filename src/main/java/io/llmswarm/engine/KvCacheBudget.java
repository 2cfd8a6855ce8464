package io.llmswarm.engine;

import java.util.concurrent.atomic.AtomicLong;

/** A bound on the bytes that all KV caches of an engine may hold together. */
public final class KvCacheBudget {

    private final long limitBytes;
    private final AtomicLong used = new AtomicLong();

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

    void reserve(long bytes) {
        long after = used.addAndGet(bytes);
        if (after > limitBytes) {
            used.addAndGet(-bytes);
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
