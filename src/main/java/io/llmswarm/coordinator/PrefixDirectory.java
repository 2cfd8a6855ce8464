package io.llmswarm.coordinator;

import io.llmswarm.cluster.Route;
import io.llmswarm.engine.LayerRange;

import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;

/**
 * Where this coordinator's finished generations left their KV caches: the route (node and span
 * of each hop) and the token ids its sessions fed, which every shard of it keeps in its prompt
 * cache until it needs the room. A new request whose prompt starts with such tokens (the next turn
 * of a conversation resends the history) goes to that route and starts after them. The shards are
 * the authority: one that evicted the prefix says so ({@code prefix_lost}) and the step is sent
 * again from position 0, so an entry here is a hint, never trusted for content.
 */
final class PrefixDirectory {

    /** A hop of a remembered route: the node and the span of its layers the sessions ran. */
    record NodeSpan(String nodeId, LayerRange span) { }

    /** The route of a remembered generation and how many leading prompt tokens its shards hold. */
    record Match(List<NodeSpan> hops, int length) { }

    private record Entry(List<NodeSpan> hops, int[] tokens) { }

    private final int capacity;
    /** In access order: the first is the least recently used. */
    private final LinkedHashMap<Long, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long nextKey;

    PrefixDirectory(int capacity) {
        this.capacity = capacity;
    }

    /** The sessions of {@code route} ended holding {@code tokens} (positions 0 on). */
    synchronized void remember(Route route, int[] tokens) {
        if (capacity == 0 || tokens.length == 0 || route.isReplica()) {
            return;
        }
        List<NodeSpan> hops = route.hops().stream().map(hop -> new NodeSpan(hop.nodeId(), hop.span())).toList();
        // The same conversation one turn earlier: its shards replaced that entry with this one.
        entries.values().removeIf(old -> old.hops().equals(hops) && old.tokens().length <= tokens.length
                && Arrays.equals(old.tokens(), 0, old.tokens().length, tokens, 0, old.tokens().length));
        entries.put(nextKey++, new Entry(hops, tokens.clone()));
        for (Iterator<Long> it = entries.keySet().iterator(); entries.size() > capacity; ) {
            it.next();
            it.remove();
        }
    }

    /** The remembered route holding the longest start of {@code prompt}, at most {@code limit} tokens. */
    synchronized Optional<Match> longest(int[] prompt, int limit) {
        Long bestKey = null;
        int best = 0;
        for (var entry : entries.entrySet()) {
            int[] tokens = entry.getValue().tokens();
            int n = Math.min(limit, Math.min(tokens.length, prompt.length));
            int mismatch = Arrays.mismatch(tokens, 0, n, prompt, 0, n);
            int common = mismatch < 0 ? n : mismatch;
            if (common > best) {
                best = common;
                bestKey = entry.getKey();
            }
        }
        if (bestKey == null) {
            return Optional.empty();
        }
        return Optional.of(new Match(entries.get(bestKey).hops(), best));
    }

    /** {@code nodeId} no longer holds the first {@code length} tokens of {@code prompt}: forget the routes that said so. */
    synchronized void forget(String nodeId, int[] prompt, int length) {
        entries.values().removeIf(entry -> entry.hops().stream().anyMatch(hop -> hop.nodeId().equals(nodeId))
                && entry.tokens().length >= length && Arrays.equals(entry.tokens(), 0, length, prompt, 0, length));
    }

    synchronized int size() {
        return entries.size();
    }
}
