package io.llmswarm.sampling;

import com.sun.management.ThreadMXBean;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenSamplerTest {

    private static final float[] LOGITS = {1.0f, 2.0f, 0.5f, -1.0f, 2.5f, 2.0f};
    private static final int DRAWS = 200_000;

    @Test
    void greedyPicksTheLargestLogitWithTiesToTheLowestId() {
        TokenSampler sampler = TokenSampler.create(SamplingConfig.greedy());
        assertEquals(4, sampler.sample(LOGITS, LOGITS.length, null));
        assertEquals(1, sampler.sample(new float[] {0f, 3f, 3f, 1f}, 4, null));
        // Only the first vocabSize logits count.
        assertEquals(1, sampler.sample(LOGITS, 4, null));
    }

    @Test
    void greedyAppliesTheRepetitionPenaltyFirst() {
        TokenSampler sampler = TokenSampler.create(SamplingConfig.greedy().withRepetitionPenalty(1.5f, 4));
        // 2.5 / 1.5 < 2.0, so token 4 loses to token 1.
        assertEquals(1, sampler.sample(LOGITS, LOGITS.length, TokenHistory.of(4)));
        assertEquals(4, sampler.sample(LOGITS, LOGITS.length, TokenHistory.of(0)));
    }

    @Test
    void drawsFollowTheSoftmaxAtTheTemperature() {
        float temperature = 0.7f;
        double[] frequencies = frequencies(SamplingConfig.greedy().withTemperature(temperature).withSeed(1), LOGITS);
        double[] expected = softmax(LOGITS, temperature, new boolean[] {true, true, true, true, true, true});
        assertClose(expected, frequencies, 0.005);
    }

    @Test
    void drawsAfterTopKFollowTheRenormalisedSoftmaxOfTheKeptTokens() {
        SamplingConfig config = SamplingConfig.greedy().withTemperature(1.3f).withTopK(3).withSeed(2);
        double[] frequencies = frequencies(config, LOGITS);
        boolean[] kept = {false, true, false, false, true, true};
        assertClose(softmax(LOGITS, 1.3f, kept), frequencies, 0.005);
    }

    @Test
    void drawsAfterMinPAndTopPNeverPickAnExcludedToken() {
        // Probabilities at temperature 1: top-p 0.8 keeps {4, 1, 5}; min-p 0.5 then drops none of them.
        SamplingConfig config = SamplingConfig.greedy().withTemperature(1f).withTopP(0.8f).withMinP(0.5f).withSeed(3);
        double[] frequencies = frequencies(config, LOGITS);
        boolean[] kept = {false, true, false, false, true, true};
        assertClose(softmax(LOGITS, 1f, kept), frequencies, 0.005);
    }

    @Test
    void theSameSeedGivesTheSameTokensAndAnotherSeedOthers() {
        SamplingConfig config = SamplingConfig.defaults(1234).withTopK(0).withMinP(0f);
        float[] logits = randomLogits(32_000, 5);
        int[] first = draws(TokenSampler.create(config), logits, 500);
        int[] second = draws(TokenSampler.create(config), logits, 500);
        int[] other = draws(TokenSampler.create(config.withSeed(99)), logits, 500);
        assertArrayEquals(first, second);
        assertFalse(Arrays.equals(first, other));
    }

    @Test
    void samplingLeavesTheLogitsUntouched() {
        float[] logits = LOGITS.clone();
        TokenSampler sampler = TokenSampler.create(SamplingConfig.defaults(5).withRepetitionPenalty(1.3f, 8));
        sampler.sample(logits, logits.length, TokenHistory.of(4, 1));
        TokenSampler.create(SamplingConfig.greedy().withRepetitionPenalty(1.3f, 8))
                .sample(logits, logits.length, TokenHistory.of(4, 1));
        assertArrayEquals(LOGITS, logits);
    }

    @Test
    void theRepetitionPenaltyShiftsTheDrawnDistribution() {
        SamplingConfig config = SamplingConfig.greedy().withTemperature(1f).withRepetitionPenalty(2f, 4).withSeed(4);
        TokenSampler sampler = TokenSampler.create(config);
        TokenHistory history = TokenHistory.of(4, 3);
        int[] counts = new int[LOGITS.length];
        for (int i = 0; i < DRAWS; i++) {
            counts[sampler.sample(LOGITS, LOGITS.length, history)]++;
        }
        float[] penalised = LOGITS.clone();
        penalised[4] /= 2f;
        penalised[3] *= 2f;
        double[] expected = softmax(penalised, 1f, new boolean[] {true, true, true, true, true, true});
        double[] frequencies = new double[counts.length];
        for (int i = 0; i < counts.length; i++) {
            frequencies[i] = counts[i] / (double) DRAWS;
        }
        assertClose(expected, frequencies, 0.005);
    }

    @Test
    void badLogitsAreRejected() {
        TokenSampler greedy = TokenSampler.create(SamplingConfig.greedy());
        TokenSampler random = TokenSampler.create(SamplingConfig.defaults(1));
        float[] withNaN = {1f, Float.NaN, 2f};
        assertThrows(IllegalArgumentException.class, () -> greedy.sample(withNaN, 3, null));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> random.sample(withNaN, 3, null));
        assertTrue(error.getMessage().contains("NaN at token 1"), error.getMessage());
        assertThrows(IllegalArgumentException.class, () -> random.sample(new float[3], 4, null));
        float[] allMasked = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        assertThrows(IllegalArgumentException.class,
                () -> TokenSampler.create(SamplingConfig.greedy().withTemperature(1f)).sample(allMasked, 2, null));
    }

    @Test
    void aMaskedTokenIsNeverDrawn() {
        float[] logits = {0f, Float.NEGATIVE_INFINITY, 0f};
        TokenSampler sampler = TokenSampler.create(SamplingConfig.greedy().withTemperature(1f).withSeed(8));
        for (int i = 0; i < 10_000; i++) {
            assertTrue(sampler.sample(logits, 3, null) != 1);
        }
    }

    @Test
    void samplingAfterTheFirstTokenAllocatesNothingOnALargeVocabulary() {
        float[] logits = randomLogits(152_064, 6);
        TokenHistory history = TokenHistory.of(1, 2, 3, 500, 151_000);
        SamplingConfig[] configs = {
                SamplingConfig.defaults(3).withRepetitionPenalty(1.1f, 64),
                SamplingConfig.defaults(3).withTopK(0).withMinP(0f),
                SamplingConfig.greedy().withRepetitionPenalty(1.1f, 64)};
        var threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId();
        for (SamplingConfig config : configs) {
            TokenSampler sampler = TokenSampler.create(config);
            sampler.sample(logits, logits.length, history);
            long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < 20; i++) {
                sampler.sample(logits, logits.length, history);
            }
            long allocated = threads.getThreadAllocatedBytes(thread) - before;
            // A 152k vocabulary copied even once would be 600 KB; allow only measurement noise.
            assertTrue(allocated < 16_384, config + " allocated " + allocated + " bytes over 20 tokens");
        }
    }

    private static double[] frequencies(SamplingConfig config, float[] logits) {
        TokenSampler sampler = TokenSampler.create(config);
        int[] counts = new int[logits.length];
        for (int i = 0; i < DRAWS; i++) {
            counts[sampler.sample(logits, logits.length, null)]++;
        }
        double[] frequencies = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            frequencies[i] = counts[i] / (double) DRAWS;
        }
        return frequencies;
    }

    private static double[] softmax(float[] logits, float temperature, boolean[] kept) {
        double[] result = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            if (kept[i]) {
                result[i] = Math.exp(logits[i] / temperature);
                sum += result[i];
            }
        }
        for (int i = 0; i < logits.length; i++) {
            result[i] /= sum;
        }
        return result;
    }

    private static void assertClose(double[] expected, double[] actual, double tolerance) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance, "token " + i);
        }
    }

    private static int[] draws(TokenSampler sampler, float[] logits, int count) {
        int[] tokens = new int[count];
        for (int i = 0; i < count; i++) {
            tokens[i] = sampler.sample(logits, logits.length, null);
        }
        return tokens;
    }

    private static float[] randomLogits(int vocab, long seed) {
        Random random = new Random(seed);
        float[] logits = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            logits[i] = (float) (random.nextGaussian() * 2);
        }
        return logits;
    }
}
