package io.llmswarm.sampling;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The draw reproduces llama.cpp's {@code dist} sampler: {@code std::mt19937} and
 * {@code std::discrete_distribution} of libstdc++. The expected values were printed by a small
 * C++ program built with g++ 12 (libstdc++), the library llama.cpp's Linux build uses.
 */
class LlamaCppDrawTest {

    @Test
    void mersenneTwisterMatchesStdMt19937() {
        Mt19937 standard = new Mt19937(5489);
        for (int i = 1; i < 10000; i++) {
            standard.nextUnsigned();
        }
        // The C++ standard fixes the 10000th output of a default-seeded mt19937.
        assertEquals(4123659995L, standard.nextUnsigned());

        Mt19937 seeded = new Mt19937(42);
        long[] first = new long[5];
        for (int i = 0; i < first.length; i++) {
            first[i] = seeded.nextUnsigned();
        }
        assertArrayEquals(new long[] {1608637542L, 3421126067L, 4083286876L, 787846414L, 3143890026L}, first);
    }

    @Test
    void canonicalDoublesMatchGenerateCanonical() {
        Mt19937 seeded = new Mt19937(42);
        assertEquals(0.79654298428784598, seeded.nextCanonical());
        assertEquals(0.18343478789336848, seeded.nextCanonical());
        assertEquals(0.77969099761266125, seeded.nextCanonical());
    }

    @Test
    void drawsMatchDiscreteDistributionOverTheSortedCandidates() {
        // Probabilities 0.5, 0.25, 0.125, 0.0625, 0.0625 placed on tokens 3, 0, 4, 1, 2: the draw sorts them first.
        int[] byRank = {3, 0, 4, 1, 2};
        double[] probabilities = {0.5, 0.25, 0.125, 0.0625, 0.0625};
        int[] ranks = {0, 2, 1, 2, 2, 0, 0, 2, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0,
                1, 3, 4, 0, 0, 0, 1, 2, 0, 0, 1, 4, 0, 1, 0, 0, 0, 2, 1, 0};
        assertArrayEquals(tokens(byRank, ranks), draws(logits(byRank, probabilities), 1234, ranks.length));
    }

    @Test
    void drawsMatchDiscreteDistributionForAnotherSeed() {
        int[] byRank = {0, 1, 2};
        int[] ranks = {0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 0, 1,
                0, 1, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0};
        assertArrayEquals(tokens(byRank, ranks), draws(logits(byRank, new double[] {0.7, 0.2, 0.1}), 7, ranks.length));
    }

    @Test
    void aSingleCandidateIsTakenWithoutUsingTheGenerator() {
        // Like libstdc++, one candidate is returned without drawing a number, so the draws that
        // follow are still the golden sequence from its start (0 0 2 0 … for seed 7).
        float[] logits = logits(new int[] {0, 1, 2}, new double[] {0.7, 0.2, 0.1});
        TokenSampler sampler = TokenSampler.create(SamplingConfig.greedy().withTemperature(1f).withSeed(7));
        assertEquals(0, sampler.sample(logits, 1, null));
        assertEquals(0, sampler.sample(logits, 3, null));
        assertEquals(0, sampler.sample(logits, 3, null));
        assertEquals(2, sampler.sample(logits, 3, null));
    }

    private static float[] logits(int[] byRank, double[] probabilities) {
        float[] logits = new float[byRank.length];
        for (int rank = 0; rank < byRank.length; rank++) {
            logits[byRank[rank]] = (float) Math.log(probabilities[rank]);
        }
        return logits;
    }

    private static int[] tokens(int[] byRank, int[] ranks) {
        return Arrays.stream(ranks).map(rank -> byRank[rank]).toArray();
    }

    private static int[] draws(float[] logits, long seed, int count) {
        TokenSampler sampler = TokenSampler.create(SamplingConfig.greedy().withTemperature(1f).withSeed(seed));
        int[] tokens = new int[count];
        for (int i = 0; i < count; i++) {
            tokens[i] = sampler.sample(logits, logits.length, null);
        }
        return tokens;
    }
}
