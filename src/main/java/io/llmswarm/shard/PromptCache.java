package io.llmswarm.shard;

import io.llmswarm.engine.KvCacheBudget;
import io.llmswarm.engine.LayerRange;
import io.llmswarm.engine.Session;
import io.llmswarm.engine.ShardEngine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The KV caches of finished sessions, kept so that a new session whose prompt starts with the
 * same tokens (the next turn of a conversation, a shared system prompt) copies their keys and
 * values instead of computing them. An entry is the token ids a session fed through this
 * shard's layers and the KV cache that holds exactly them; it stays in the engine's KV budget,
 * and the budget evicts entries, least recently used first, whenever a live session needs the
 * room ({@link KvCacheBudget#reclaimWith}), so caching never refuses a request.
 *
 * <p>Lookups compare token ids exactly (no hashes that a crafted prompt could collide with). An
 * entry whose tokens are a prefix of a newer one's (the same conversation one turn earlier) is
 * dropped when the newer one is kept. The entries are few (bounded by {@code maxEntries} and by
 * memory), so a lookup scans them.
 */
public final class PromptCache implements KvCacheBudget.Reclaimer, AutoCloseable {

    /** A finished session's cache: the tokens at its positions, over a span of this shard's layers. */
    private record Entry(Session session, int[] tokens, LayerRange span) {
        long bytes() {
            return session.cache().bytes();
        }
    }

    private final int maxEntries;
    /** In access order: the first is the least recently used. */
    private final LinkedHashMap<Long, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long nextKey;
    /** An entry being copied from, which eviction must not free meanwhile. */
    private Entry pinned;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong tokensReused = new AtomicLong();
    private final AtomicLong evictions = new AtomicLong();

    /** @param maxEntries how many finished sessions to keep at most (0 keeps none) */
    public PromptCache(int maxEntries) {
        if (maxEntries < 0) {
            throw new IllegalArgumentException("a prompt cache keeps 0 or more sessions; got " + maxEntries);
        }
        this.maxEntries = maxEntries;
    }

    /**
     * Keeps a finished session's cache for reuse, or closes it (nothing held, or caching off).
     * Takes ownership of {@code session}.
     *
     * @param tokens the token ids at positions {@code [0, tokens.length)}, which the cache holds
     */
    public synchronized void keep(Session session, int[] tokens, LayerRange span) {
        if (maxEntries == 0 || tokens.length == 0 || session.length() < tokens.length) {
            session.close();
            return;
        }
        for (Entry old : entries.values()) {
            if (old.span().equals(span) && old.tokens().length >= tokens.length
                    && startsWith(old.tokens(), tokens, tokens.length)) {
                session.close(); // a kept session already holds all of it
                return;
            }
        }
        for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
            Entry old = it.next();
            if (old.span().equals(span) && old.tokens().length <= tokens.length
                    && startsWith(tokens, old.tokens(), old.tokens().length)) {
                it.remove(); // the same conversation, shorter: the new entry serves everything it did
                old.session().close();
            }
        }
        entries.put(nextKey++, new Entry(session, tokens, span));
        while (entries.size() > maxEntries) {
            evictOldest();
        }
    }

    /**
     * How many leading tokens of {@code prompt} a kept session over {@code span} holds (0: none);
     * at most {@code limit}.
     */
    public synchronized int longestPrefix(int[] prompt, int limit, LayerRange span) {
        int best = 0;
        for (Entry entry : entries.values()) {
            if (entry.span().equals(span)) {
                best = Math.max(best, common(entry.tokens(), prompt, Math.min(limit, prompt.length)));
            }
        }
        return best;
    }

    /**
     * Opens session {@code id} with a copy of the first {@code prefix.length} positions of a kept
     * session over {@code span} whose tokens start with {@code prefix}, or returns null when none
     * does (evicted, or never here). The kept session stays for others.
     */
    public synchronized Session open(ShardEngine engine, String id, int[] prefix, LayerRange span) {
        Entry found = null;
        for (Map.Entry<Long, Entry> candidate : entries.entrySet()) {
            Entry entry = candidate.getValue();
            if (entry.span().equals(span) && entry.tokens().length >= prefix.length
                    && startsWith(entry.tokens(), prefix, prefix.length)) {
                found = entry;
                entries.get(candidate.getKey()); // most recently used now
                break;
            }
        }
        if (found == null) {
            misses.incrementAndGet();
            return null;
        }
        pinned = found;
        try {
            Session session = engine.openSession(id, found.session(), prefix.length);
            hits.incrementAndGet();
            tokensReused.addAndGet(prefix.length);
            return session;
        } finally {
            pinned = null;
        }
    }

    /** Frees kept sessions, least recently used first, until {@code bytes} are free or none is left. */
    @Override
    public synchronized boolean reclaim(long bytes) {
        long freed = 0;
        while (freed < bytes && evictable()) {
            freed += evictOldest();
        }
        return freed > 0;
    }

    private boolean evictable() {
        return entries.size() > (pinned != null && entries.containsValue(pinned) ? 1 : 0);
    }

    private long evictOldest() {
        for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
            Entry entry = it.next();
            if (entry != pinned) {
                it.remove();
                long bytes = entry.bytes();
                entry.session().close();
                evictions.incrementAndGet();
                return bytes;
            }
        }
        return 0;
    }

    /** Sessions kept now. */
    public synchronized int size() {
        return entries.size();
    }

    /** Bytes of KV cache the kept sessions hold. */
    public synchronized long bytes() {
        return entries.values().stream().mapToLong(Entry::bytes).sum();
    }

    /** New sessions that started from a kept prefix. */
    public long hits() {
        return hits.get();
    }

    /** New sessions asked to start from a prefix that was not (or no longer) here. */
    public long misses() {
        return misses.get();
    }

    /** Positions copied instead of computed, over all hits. */
    public long tokensReused() {
        return tokensReused.get();
    }

    /** Kept sessions freed to make room or to stay within {@code maxEntries}. */
    public long evictions() {
        return evictions.get();
    }

    /** Frees every kept session. */
    @Override
    public synchronized void close() {
        List<Entry> all = new ArrayList<>(entries.values());
        entries.clear();
        all.forEach(entry -> entry.session().close());
    }

    private static boolean startsWith(int[] tokens, int[] prefix, int length) {
        return Arrays.equals(tokens, 0, length, prefix, 0, length);
    }

    private static int common(int[] a, int[] b, int limit) {
        int n = Math.min(limit, Math.min(a.length, b.length));
        int mismatch = Arrays.mismatch(a, 0, n, b, 0, n);
        return mismatch < 0 ? n : mismatch;
    }
}
