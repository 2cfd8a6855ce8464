package io.llmswarm.tokenizer;

import java.util.Arrays;

/**
 * The doubly linked list of symbols that a merge loop works on: each symbol is a run of the input
 * (start, length in chars) with a token id (-1 if the run is no token). Merging a pair leaves the
 * right symbol empty (length 0), as llama.cpp does.
 */
final class SymbolChain {
    int[] start = new int[64];
    int[] length = new int[64];
    int[] id = new int[64];
    int[] prev = new int[64];
    int[] next = new int[64];
    int size;

    void clear() {
        size = 0;
    }

    void add(int symbolStart, int symbolLength, int tokenId) {
        if (size == start.length) {
            int capacity = size * 2;
            start = Arrays.copyOf(start, capacity);
            length = Arrays.copyOf(length, capacity);
            id = Arrays.copyOf(id, capacity);
            prev = Arrays.copyOf(prev, capacity);
            next = Arrays.copyOf(next, capacity);
        }
        start[size] = symbolStart;
        length[size] = symbolLength;
        id[size] = tokenId;
        prev[size] = size - 1;
        next[size] = -1;
        if (size > 0) {
            next[size - 1] = size;
        }
        size++;
    }

    /** Appends the right symbol to the left one and unlinks it. */
    void merge(int left, int right, int mergedId) {
        length[left] += length[right];
        length[right] = 0;
        id[left] = mergedId;
        next[left] = next[right];
        if (next[right] >= 0) {
            prev[next[right]] = left;
        }
    }
}
