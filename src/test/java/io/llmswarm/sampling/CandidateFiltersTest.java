package io.llmswarm.sampling;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class CandidateFiltersTest {

    /** Logits whose softmax is exactly these probabilities. */
    static float[] logitsOf(double... probabilities) {
        float[] logits = new float[probabilities.length];
        for (int i = 0; i < probabilities.length; i++) {
            logits[i] = (float) Math.log(probabilities[i]);
        }
        return logits;
    }

    static int[] idsOf(Candidates candidates) {
        return IntStream.range(0, candidates.size()).map(candidates::id).toArray();
    }

    static Candidates loaded(float[] logits) {
        Candidates candidates = new Candidates();
        candidates.load(logits, logits.length);
        return candidates;
    }

    @Test
    void topKKeepsExactlyTheKBestInOrderWithTiesToTheLowerId() {
        Candidates candidates = loaded(new float[] {0.5f, 3f, 1f, 3f, -2f, 2f});
        CandidateFilters.topK(candidates, 3);
        assertArrayEquals(new int[] {1, 3, 5}, idsOf(candidates));
    }

    @Test
    void topKOfZeroOrAtLeastTheVocabularyKeepsAll() {
        Candidates candidates = loaded(new float[] {1f, 2f, 3f});
        CandidateFilters.topK(candidates, 0);
        assertEquals(3, candidates.size());
        CandidateFilters.topK(candidates, 5);
        assertEquals(3, candidates.size());
    }

    @Test
    void topPKeepsTheSmallestPrefixReachingP() {
        float[] logits = logitsOf(0.15, 0.5, 0.1, 0.25);
        Candidates candidates = loaded(logits);
        CandidateFilters.topP(candidates, 0.7f);
        assertArrayEquals(new int[] {1, 3}, idsOf(candidates));

        candidates = loaded(logits);
        CandidateFilters.topP(candidates, 0.8f);
        assertArrayEquals(new int[] {1, 3, 0}, idsOf(candidates));

        candidates = loaded(logits);
        CandidateFilters.topP(candidates, 0.4f);
        assertArrayEquals(new int[] {1}, idsOf(candidates));
    }

    @Test
    void topPAfterTopKUsesTheProbabilitiesOfTheKeptTokens() {
        // After top-k 2 the set is {0.5, 0.25} renormalised to {2/3, 1/3}: p 0.6 keeps only the first.
        Candidates candidates = loaded(logitsOf(0.5, 0.25, 0.15, 0.1));
        CandidateFilters.topK(candidates, 2);
        CandidateFilters.topP(candidates, 0.6f);
        assertArrayEquals(new int[] {0}, idsOf(candidates));
    }

    @Test
    void topPOnALargeVocabularyMatchesAFullSort() {
        Random random = new Random(7);
        int vocab = 50_000;
        float[] logits = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            logits[i] = (float) (random.nextGaussian() * 3);
        }
        for (float p : new float[] {0.5f, 0.9f, 0.99f}) {
            Candidates candidates = loaded(logits);
            CandidateFilters.topP(candidates, p);
            assertArrayEquals(naiveTopP(logits, p), idsOf(candidates), "top-p " + p);
        }
    }

    @Test
    void sortingAWholeVocabularyOrdersByScoreThenIdIncludingTiesZerosAndInfinities() {
        Random random = new Random(11);
        int vocab = 40_000;
        float[] logits = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            // Coarse values give many ties; add signed zeros and masked tokens.
            logits[i] = Math.round(random.nextGaussian() * 20) / 4f;
        }
        logits[5] = -0.0f;
        logits[6] = 0.0f;
        logits[7] = Float.NEGATIVE_INFINITY;
        logits[8] = Float.MAX_VALUE;
        logits[9] = -Float.MAX_VALUE;
        for (int k : new int[] {vocab, vocab / 2, 100}) {
            Candidates candidates = loaded(logits);
            CandidateFilters.topK(candidates, k == vocab ? 0 : k);
            if (k == vocab) {
                candidates.keepTop(vocab);
            }
            int[] expected = Arrays.copyOf(fullOrder(logits), k);
            assertArrayEquals(expected, idsOf(candidates), "k " + k);
        }
    }

    @Test
    void minPKeepsTokensAtLeastMinPTimesTheBestInTheirOrder() {
        Candidates candidates = loaded(logitsOf(0.1, 0.5, 0.04, 0.3, 0.06));
        CandidateFilters.minP(candidates, 0.15f);
        // Threshold 0.15 * 0.5 = 0.075: 0.1, 0.5 and 0.3 stay.
        assertArrayEquals(new int[] {0, 1, 3}, idsOf(candidates));
    }

    @Test
    void minPOfOneKeepsOnlyTheBestAndItsTies() {
        Candidates candidates = loaded(new float[] {1f, 4f, 4f, 2f});
        CandidateFilters.minP(candidates, 1f);
        assertArrayEquals(new int[] {1, 2}, idsOf(candidates));
    }

    /** Larger logit first (compared with ==, so -0 ties +0), then the lower id. */
    private static Comparator<Integer> bestFirst(float[] logits) {
        return (a, b) -> logits[a] > logits[b] ? -1 : logits[a] < logits[b] ? 1 : Integer.compare(a, b);
    }

    private static int[] fullOrder(float[] logits) {
        Integer[] order = IntStream.range(0, logits.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, bestFirst(logits));
        return Arrays.stream(order).mapToInt(Integer::intValue).toArray();
    }

    /** llama.cpp's top-p over a fully sorted vocabulary, in its float arithmetic. */
    private static int[] naiveTopP(float[] logits, float p) {
        Integer[] order = IntStream.range(0, logits.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, bestFirst(logits));
        float max = logits[order[0]];
        float[] probabilities = new float[order.length];
        float sum = 0f;
        for (int i = 0; i < order.length; i++) {
            probabilities[i] = (float) Math.exp(logits[order[i]] - max);
            sum += probabilities[i];
        }
        float cumulative = 0f;
        for (int i = 0; i < order.length; i++) {
            cumulative += probabilities[i] / sum;
            if (cumulative >= p) {
                return Arrays.stream(order, 0, i + 1).mapToInt(Integer::intValue).toArray();
            }
        }
        return Arrays.stream(order).mapToInt(Integer::intValue).toArray();
    }
}
