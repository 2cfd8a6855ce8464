package io.llmswarm.tokenizer;

import java.util.Arrays;

/**
 * The work queue of candidate merges shared by both tokenizers: a binary min-heap ordered by
 * (priority, left symbol index), which is the order llama.cpp's priority queues pop in. An entry
 * remembers the lengths of both symbols when it was made, so that a stale entry can be recognised.
 */
final class BigramQueue {
    private long[] keys = new long[64];
    private int[] lefts = new int[64];
    private int[] rights = new int[64];
    private int[] leftLengths = new int[64];
    private int[] rightLengths = new int[64];
    private int[] heap = new int[64];
    private int entries;
    private int heapSize;

    void clear() {
        entries = 0;
        heapSize = 0;
    }

    boolean isEmpty() {
        return heapSize == 0;
    }

    /** @param priority smaller pops first; ties pop the leftmost pair first */
    void push(int priority, int left, int right, int leftLength, int rightLength) {
        if (entries == keys.length) {
            int capacity = entries * 2;
            keys = Arrays.copyOf(keys, capacity);
            lefts = Arrays.copyOf(lefts, capacity);
            rights = Arrays.copyOf(rights, capacity);
            leftLengths = Arrays.copyOf(leftLengths, capacity);
            rightLengths = Arrays.copyOf(rightLengths, capacity);
            heap = Arrays.copyOf(heap, capacity);
        }
        int entry = entries++;
        keys[entry] = ((long) priority << 32) | (left & 0xFFFFFFFFL);
        lefts[entry] = left;
        rights[entry] = right;
        leftLengths[entry] = leftLength;
        rightLengths[entry] = rightLength;
        int node = heapSize++;
        while (node > 0) {
            int parent = (node - 1) >>> 1;
            if (keys[heap[parent]] <= keys[entry]) {
                break;
            }
            heap[node] = heap[parent];
            node = parent;
        }
        heap[node] = entry;
    }

    /** Removes the first entry and returns its handle for {@link #left(int)} and friends. */
    int pop() {
        int top = heap[0];
        int last = heap[--heapSize];
        int node = 0;
        while (true) {
            int child = 2 * node + 1;
            if (child >= heapSize) {
                break;
            }
            if (child + 1 < heapSize && keys[heap[child + 1]] < keys[heap[child]]) {
                child++;
            }
            if (keys[heap[child]] >= keys[last]) {
                break;
            }
            heap[node] = heap[child];
            node = child;
        }
        heap[node] = last;
        return top;
    }

    int left(int entry) {
        return lefts[entry];
    }

    int right(int entry) {
        return rights[entry];
    }

    int leftLength(int entry) {
        return leftLengths[entry];
    }

    int rightLength(int entry) {
        return rightLengths[entry];
    }
}
