package io.llmswarm.sampling;

/**
 * The tokens still in the running while one token is sampled: a working copy of the logits
 * (indexed by token id) and the ids of the candidates left after each filter. The buffers are
 * allocated once per vocabulary size and reused for every token, so sampling does not allocate.
 * Not thread-safe: one per session.
 */
public final class Candidates {

    private float[] scores = new float[0];
    private int[] ids = new int[0];
    private float[] weights = new float[0];
    private final RadixOrder radixOrder = new RadixOrder();
    private int vocabSize;
    private int size;
    private boolean sorted;

    /** Starts a new token: every id in {@code [0, vocabSize)} is a candidate with its logit. */
    public void load(float[] logits, int vocabSize) {
        if (vocabSize < 1 || vocabSize > logits.length) {
            throw new IllegalArgumentException(
                    "vocabulary size must be in [1, " + logits.length + "] (the logits length), got " + vocabSize);
        }
        if (scores.length < vocabSize) {
            scores = new float[vocabSize];
            ids = new int[vocabSize];
            weights = new float[vocabSize];
        }
        for (int i = 0; i < vocabSize; i++) {
            float value = logits[i];
            if (value != value) {
                throw new IllegalArgumentException("logits hold NaN at token " + i);
            }
            scores[i] = value;
            ids[i] = i;
        }
        this.vocabSize = vocabSize;
        this.size = vocabSize;
        this.sorted = false;
    }

    public int size() {
        return size;
    }

    public int vocabSize() {
        return vocabSize;
    }

    /** The id of the candidate at {@code position}. */
    public int id(int position) {
        return ids[position];
    }

    /** The current score (logit after any penalty) of a token id. */
    public float score(int token) {
        return scores[token];
    }

    /** Whether the candidates are ordered most likely first. */
    public boolean isSorted() {
        return sorted;
    }

    float[] scores() {
        return scores;
    }

    int[] ids() {
        return ids;
    }

    float[] weights() {
        return weights;
    }

    /** Keeps only the first {@code newSize} candidates. */
    void truncate(int newSize) {
        size = newSize;
    }

    /**
     * Keeps the k best, ordered best first, ties to the lower id (ids in ascending order among
     * equal scores, as every filter here leaves them). A small k uses a bounded heap, a large one
     * a radix sort of all.
     */
    void keepTop(int k) {
        if (k >= size / 8 && size > 256) {
            radixOrder.sort(ids, size, scores);
            size = Math.min(k, size);
        } else {
            size = CandidateOrder.sortTop(ids, size, k, scores);
        }
        sorted = true;
    }

    /** Keeps, in their order, the candidates whose score is at least {@code threshold}. */
    void keepAtLeast(float threshold) {
        int kept = 0;
        for (int i = 0; i < size; i++) {
            int id = ids[i];
            if (scores[id] >= threshold) {
                ids[kept++] = id;
            }
        }
        size = kept;
    }

    /**
     * Moves the candidates whose score is at least {@code threshold} to the front, the others
     * behind them (still held past {@link #size()} for {@link #expSumFrom}), and keeps the front.
     * Returns the number of candidates before the cut.
     */
    int partitionAtLeast(float threshold) {
        int before = size;
        int front = 0;
        for (int i = 0; i < size; i++) {
            int id = ids[i];
            if (scores[id] >= threshold) {
                ids[i] = ids[front];
                ids[front++] = id;
            }
        }
        size = front;
        return before;
    }

    /** Continues a float sum of exp(score - max) over positions {@code [from, to)}, in their order. */
    float expSumFrom(float sum, float max, int from, int to) {
        for (int i = from; i < to; i++) {
            sum += (float) Math.exp(scores[ids[i]] - max);
        }
        return sum;
    }

    /** The highest score among the candidates; rejects a set that is all -infinity. */
    float maxScore() {
        if (sorted) {
            return scores[ids[0]];
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < size; i++) {
            max = Math.max(max, scores[ids[i]]);
        }
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("every candidate token has a logit of -infinity");
        }
        return max;
    }

    /** Sum over the candidates, in their order and in float as llama.cpp adds them, of exp(score - max). */
    float expSum(float max) {
        return expSumFrom(0f, max, 0, size);
    }
}
