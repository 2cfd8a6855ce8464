package io.llmswarm.sampling;

import java.util.Arrays;

/**
 * llama.cpp's repeat penalty: every distinct token among the last N of the history has its
 * logit divided by the penalty when positive and multiplied by it otherwise, once however
 * often it occurred. A per-token stamp marks the tokens already penalised, so no set is built.
 */
public final class RepetitionPenalty {

    private final float penalty;
    private final int lastN;
    private int[] stamps = new int[0];
    private int stamp;

    public RepetitionPenalty(float penalty, int lastN) {
        this.penalty = penalty;
        this.lastN = lastN;
    }

    /** Penalises {@code scores[0..vocabSize)} in place for the recent tokens of {@code history}. */
    public void apply(float[] scores, int vocabSize, TokenHistory history) {
        if (history == null || penalty == 1f || lastN == 0) {
            return;
        }
        if (stamps.length < vocabSize) {
            stamps = new int[vocabSize];
            stamp = 0;
        }
        stamp++;
        if (stamp == Integer.MAX_VALUE) {
            Arrays.fill(stamps, 0);
            stamp = 1;
        }
        int window = Math.min(lastN, history.size());
        for (int back = 0; back < window; back++) {
            int token = history.recent(back);
            if (token < 0 || token >= vocabSize) {
                throw new IllegalArgumentException("token history holds id " + token
                        + ", outside the vocabulary of " + vocabSize + " tokens");
            }
            if (stamps[token] != stamp) {
                stamps[token] = stamp;
                float logit = scores[token];
                scores[token] = logit <= 0f ? logit * penalty : logit / penalty;
            }
        }
    }
}
