package io.llmswarm.sampling;

import java.util.ArrayList;
import java.util.List;

/** Log-probabilities of the most likely tokens, as the OpenAI API's {@code logprobs} reports them. */
public final class TopLogprobs {

    private TopLogprobs() {
    }

    /** The {@code n} most likely tokens over all of {@code logits}, best first. */
    public static List<TokenLogprob> compute(float[] logits, int n) {
        return compute(logits, logits.length, n);
    }

    /** The {@code n} most likely tokens of {@code logits[0..vocabSize)}, best first, ties to the lower id. */
    public static List<TokenLogprob> compute(float[] logits, int vocabSize, int n) {
        if (n < 0) {
            throw new IllegalArgumentException("the number of top log-probabilities must be >= 0, got " + n);
        }
        double logNormalizer = logNormalizer(logits, vocabSize);
        int k = Math.min(n, vocabSize);
        List<TokenLogprob> top = new ArrayList<>(k);
        if (k == 0) {
            return top;
        }
        int[] ids = CandidateOrder.bestOf(logits, vocabSize, k);
        for (int i = 0; i < k; i++) {
            top.add(new TokenLogprob(ids[i], (float) (logits[ids[i]] - logNormalizer)));
        }
        return top;
    }

    /** The log-probability of one token. */
    public static float logprobOf(float[] logits, int vocabSize, int token) {
        if (token < 0 || token >= vocabSize) {
            throw new IllegalArgumentException("token " + token + " is outside the vocabulary of " + vocabSize);
        }
        return (float) (logits[token] - logNormalizer(logits, vocabSize));
    }

    /** log(sum(exp(logits))), computed stably around the maximum. */
    static double logNormalizer(float[] logits, int vocabSize) {
        float max = logits[Argmax.of(logits, vocabSize)];
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("every logit is -infinity");
        }
        double sum = 0;
        for (int i = 0; i < vocabSize; i++) {
            sum += Math.exp(logits[i] - max);
        }
        return max + Math.log(sum);
    }
}
