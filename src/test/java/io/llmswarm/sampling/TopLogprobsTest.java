package io.llmswarm.sampling;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TopLogprobsTest {

    @Test
    void returnsTheBestTokensWithTheirLogSoftmax() {
        float[] logits = {1f, 3f, 2f, 3f, -1f};
        double normalizer = 0;
        for (float logit : logits) {
            normalizer += Math.exp(logit);
        }
        double logZ = Math.log(normalizer);
        List<TokenLogprob> top = TopLogprobs.compute(logits, 3);
        assertEquals(3, top.size());
        int[] expectedIds = {1, 3, 2};
        for (int i = 0; i < 3; i++) {
            assertEquals(expectedIds[i], top.get(i).token());
            assertEquals(logits[expectedIds[i]] - logZ, top.get(i).logprob(), 1e-6);
        }
        assertEquals(-1 - logZ, TopLogprobs.logprobOf(logits, 5, 4), 1e-6);
    }

    @Test
    void isStableForLargeLogitsAndClampsNToTheVocabulary() {
        float[] logits = {1000f, 1000f};
        List<TokenLogprob> top = TopLogprobs.compute(logits, 10);
        assertEquals(2, top.size());
        assertEquals(Math.log(0.5), top.get(0).logprob(), 1e-6);
        assertEquals(Math.log(0.5), top.get(1).logprob(), 1e-6);
    }

    @Test
    void zeroAsksForNothingAndANegativeCountIsAnError() {
        assertEquals(List.of(), TopLogprobs.compute(new float[] {1f, 2f}, 0));
        assertThrows(IllegalArgumentException.class, () -> TopLogprobs.compute(new float[] {1f}, -1));
    }
}
