package io.llmswarm.sampling;

/**
 * Orders token ids by their score, most likely first, ties to the lower id, without boxing:
 * a bounded min-heap selects the best k in O(n log k), then a heap sort orders them.
 */
final class CandidateOrder {

    private CandidateOrder() {
    }

    /**
     * Rearranges {@code ids[0..size)} so that {@code ids[0..k)} are the k best by
     * {@code scores[id]}, in descending order. Returns k (clamped to size).
     */
    static int sortTop(int[] ids, int size, int k, float[] scores) {
        k = Math.min(k, size);
        if (k <= 0) {
            return 0;
        }
        heapify(ids, k, scores);
        for (int i = k; i < size; i++) {
            if (isWorse(ids[0], ids[i], scores)) {
                ids[0] = ids[i];
                siftDown(ids, 0, k, scores);
            }
        }
        sortHeap(ids, k, scores);
        return k;
    }

    /** The ids of the k best of {@code scores[0..length)}, best first, using only a k-sized array. */
    static int[] bestOf(float[] scores, int length, int k) {
        k = Math.min(k, length);
        int[] heap = new int[Math.max(k, 0)];
        if (k <= 0) {
            return heap;
        }
        for (int i = 0; i < k; i++) {
            heap[i] = i;
        }
        heapify(heap, k, scores);
        for (int id = k; id < length; id++) {
            if (isWorse(heap[0], id, scores)) {
                heap[0] = id;
                siftDown(heap, 0, k, scores);
            }
        }
        sortHeap(heap, k, scores);
        return heap;
    }

    private static void heapify(int[] heap, int size, float[] scores) {
        for (int i = size / 2 - 1; i >= 0; i--) {
            siftDown(heap, i, size, scores);
        }
    }

    /** Heap sort of a "worst on top" heap: leaves it best-first. */
    private static void sortHeap(int[] ids, int k, float[] scores) {
        for (int end = k - 1; end > 0; end--) {
            int top = ids[0];
            ids[0] = ids[end];
            ids[end] = top;
            siftDown(ids, 0, end, scores);
        }
    }

    /** Whether token a ranks below token b: a lower score, or an equal score and a higher id. */
    static boolean isWorse(int a, int b, float[] scores) {
        float sa = scores[a];
        float sb = scores[b];
        return sa < sb || (sa == sb && a > b);
    }

    private static void siftDown(int[] heap, int index, int size, float[] scores) {
        int item = heap[index];
        while (true) {
            int child = 2 * index + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && isWorse(heap[child + 1], heap[child], scores)) {
                child++;
            }
            if (!isWorse(heap[child], item, scores)) {
                break;
            }
            heap[index] = heap[child];
            index = child;
        }
        heap[index] = item;
    }
}
