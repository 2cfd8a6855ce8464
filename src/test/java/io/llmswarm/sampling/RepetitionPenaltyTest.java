package io.llmswarm.sampling;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RepetitionPenaltyTest {

    @Test
    void dividesPositiveAndMultipliesNegativeLogitsLikeLlamaCpp() {
        float[] scores = {2f, -2f, 0f, 3f, 1f};
        new RepetitionPenalty(2f, 64).apply(scores, 5, TokenHistory.of(0, 1, 2));
        assertArrayEquals(new float[] {1f, -4f, 0f, 3f, 1f}, scores);
    }

    @Test
    void penalisesARepeatedTokenOnlyOnce() {
        float[] scores = {4f, 1f};
        new RepetitionPenalty(2f, 64).apply(scores, 2, TokenHistory.of(0, 0, 0, 0));
        assertArrayEquals(new float[] {2f, 1f}, scores);
    }

    @Test
    void looksOnlyAtTheLastNTokens() {
        float[] scores = {4f, 4f, 4f, 4f};
        // History oldest first: 0 1 2 3; the last two are 2 and 3.
        new RepetitionPenalty(2f, 2).apply(scores, 4, TokenHistory.of(0, 1, 2, 3));
        assertArrayEquals(new float[] {4f, 4f, 2f, 2f}, scores);
    }

    @Test
    void eachCallPenalisesAfresh() {
        RepetitionPenalty penalty = new RepetitionPenalty(2f, 8);
        TokenHistory history = TokenHistory.of(1);
        for (int i = 0; i < 3; i++) {
            float[] scores = {1f, 6f};
            penalty.apply(scores, 2, history);
            assertArrayEquals(new float[] {1f, 3f}, scores);
        }
    }

    @Test
    void aTokenOutsideTheVocabularyIsAnError() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> new RepetitionPenalty(1.1f, 8).apply(new float[4], 4, TokenHistory.of(7)));
        assertTrue(error.getMessage().contains("id 7"), error.getMessage());
    }
}
