package io.llmswarm.tokenizer;

import java.util.Arrays;

/**
 * BPE merge ranks keyed by the pair of token ids (open addressing, no boxing): for each pair, its
 * rank and the id of the token the merge makes (-1 when the merged text is no token).
 */
final class MergeTable {
    private static final long EMPTY = -1L;
    private final long[] keys;
    private final long[] values;
    private final int mask;

    MergeTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(expected, 8) * 2 - 1) << 1;
        keys = new long[capacity];
        values = new long[capacity];
        mask = capacity - 1;
        Arrays.fill(keys, EMPTY);
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }

    /** Keeps the first (lowest) rank given for a pair. */
    void put(int left, int right, int rank, int mergedId) {
        long key = key(left, right);
        int i = slot(key);
        while (keys[i] != EMPTY) {
            if (keys[i] == key) {
                return;
            }
            i = (i + 1) & mask;
        }
        keys[i] = key;
        values[i] = ((long) rank << 32) | (mergedId & 0xFFFFFFFFL);
    }

    /** The packed rank and merged id, or -1 when the pair does not merge. */
    long get(int left, int right) {
        long key = key(left, right);
        int i = slot(key);
        while (keys[i] != EMPTY) {
            if (keys[i] == key) {
                return values[i];
            }
            i = (i + 1) & mask;
        }
        return -1L;
    }

    static int rank(long packed) {
        return (int) (packed >>> 32);
    }

    static int mergedId(long packed) {
        return (int) packed;
    }
}
