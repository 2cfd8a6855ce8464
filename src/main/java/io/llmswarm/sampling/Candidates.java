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

    /** Keeps the k best, ordered best first. */
    void keepTop(int k) {
        size = CandidateOrder.sortTop(ids, size, k, scores);
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

    /** Sum over the candidates of exp((score - max) / temperature). */
    double expSum(float max, float temperature) {
        double sum = 0;
        for (int i = 0; i < size; i++) {
            sum += Math.exp((scores[ids[i]] - max) / temperature);
        }
        return sum;
    }
}
