package io.llmswarm.sampling;

/**
 * The filters that narrow the candidates before the draw, as llama.cpp defines them. Each keeps
 * at least the most likely token. They read the scores before temperature, as llama.cpp's default
 * chain does (top-k, top-p, min-p, then temperature).
 */
public final class CandidateFilters {

    private CandidateFilters() {
    }

    /** Keeps the k most likely tokens, ordered best first; k = 0 keeps all. */
    public static void topK(Candidates candidates, int k) {
        if (k > 0 && k < candidates.size()) {
            candidates.keepTop(k);
        }
    }

    /**
     * Keeps the smallest best-first prefix whose probability reaches {@code p}, with llama.cpp's
     * float arithmetic: probabilities exp(score - max) over their float sum in best-first order,
     * added up in float. Unsorted candidates are first cut to those above (1 - p) / (n - 1):
     * together the others cannot reach 1 - p, so the prefix never needs them and a 150k
     * vocabulary need not be sorted whole; the cut ones are still added to the sum, after the
     * sorted ones (in id order, where llama.cpp adds them best first: this can move the sum by a
     * few float roundings).
     */
    public static void topP(Candidates candidates, float p) {
        int n = candidates.size();
        if (p >= 1f || n <= 1) {
            return;
        }
        float max = candidates.maxScore();
        float sum;
        if (candidates.isSorted()) {
            sum = candidates.expSum(max);
        } else {
            double cutoff = (1.0 - p) / (n - 1);
            // A small margin keeps tokens that rounding would put just under the cut-off.
            float threshold = (float) (max + Math.log(cutoff * candidates.expSum(max)) - 1e-3);
            int all = candidates.partitionAtLeast(threshold);
            candidates.keepTop(candidates.size());
            sum = candidates.expSumFrom(candidates.expSum(max), max, candidates.size(), all);
        }
        int[] ids = candidates.ids();
        float[] scores = candidates.scores();
        float cumulative = 0f;
        int kept = candidates.size();
        for (int i = 0; i < candidates.size(); i++) {
            cumulative += (float) Math.exp(scores[ids[i]] - max) / sum;
            if (cumulative >= p) {
                kept = i + 1;
                break;
            }
        }
        candidates.truncate(kept);
    }

    /** Keeps the tokens at least {@code minP} times as likely as the most likely one. */
    public static void minP(Candidates candidates, float minP) {
        if (minP <= 0f || candidates.size() <= 1) {
            return;
        }
        float max = candidates.maxScore();
        candidates.keepAtLeast(max + (float) Math.log(minP));
    }
}
