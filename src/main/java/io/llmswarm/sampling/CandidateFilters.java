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
     * Keeps the smallest best-first prefix whose probability reaches {@code p}. Before sorting it
     * drops every token below (1 - p) / (n - 1): together they cannot reach 1 - p, so the prefix
     * never needs them, and a 150k vocabulary need not be sorted whole.
     */
    public static void topP(Candidates candidates, float p) {
        int n = candidates.size();
        if (p >= 1f || n <= 1) {
            return;
        }
        float max = candidates.maxScore();
        double sum = candidates.expSum(max, 1f);
        if (!candidates.isSorted()) {
            double cutoff = (1.0 - p) / (n - 1);
            // A small margin keeps tokens that float rounding would put just under the cut-off.
            candidates.keepAtLeast((float) (max + Math.log(cutoff * sum) - 1e-3));
            candidates.keepTop(candidates.size());
        }
        int[] ids = candidates.ids();
        float[] scores = candidates.scores();
        double cumulative = 0;
        int kept = candidates.size();
        for (int i = 0; i < candidates.size(); i++) {
            cumulative += Math.exp(scores[ids[i]] - max) / sum;
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
        candidates.keepAtLeast((float) (max + Math.log(minP)));
    }
}
