package io.llmswarm.sampling;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplingConfigTest {

    @Test
    void greedyHasTemperatureZeroAndNoPenalty() {
        SamplingConfig greedy = SamplingConfig.greedy();
        assertTrue(greedy.isGreedy());
        assertFalse(greedy.penalizesRepetition());
        assertEquals(0, greedy.topK());
        assertEquals(1f, greedy.topP());
    }

    @Test
    void withersChangeOneField() {
        SamplingConfig config = SamplingConfig.greedy().withTemperature(0.7f).withTopK(5).withTopP(0.9f)
                .withMinP(0.1f).withRepetitionPenalty(1.1f, 32).withSeed(42);
        assertEquals(new SamplingConfig(0.7f, 5, 0.9f, 0.1f, 1.1f, 32, 42), config);
        assertTrue(config.penalizesRepetition());
        assertFalse(config.isGreedy());
    }

    @Test
    void outOfRangeValuesAreRejectedWithTheirApiName() {
        assertMessage("temperature", () -> SamplingConfig.greedy().withTemperature(-0.1f));
        assertMessage("temperature", () -> SamplingConfig.greedy().withTemperature(Float.NaN));
        assertMessage("temperature", () -> SamplingConfig.greedy().withTemperature(Float.POSITIVE_INFINITY));
        assertMessage("top_k", () -> SamplingConfig.greedy().withTopK(-1));
        assertMessage("top_p", () -> SamplingConfig.greedy().withTopP(0f));
        assertMessage("top_p", () -> SamplingConfig.greedy().withTopP(1.01f));
        assertMessage("min_p", () -> SamplingConfig.greedy().withMinP(-0.01f));
        assertMessage("min_p", () -> SamplingConfig.greedy().withMinP(1.5f));
        assertMessage("repeat_penalty", () -> SamplingConfig.greedy().withRepetitionPenalty(0f, 64));
        assertMessage("repeat_penalty", () -> SamplingConfig.greedy().withRepetitionPenalty(Float.NaN, 64));
        assertMessage("repeat_last_n", () -> SamplingConfig.greedy().withRepetitionPenalty(1.1f, -1));
    }

    private static void assertMessage(String field, Executable build) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, build);
        assertTrue(error.getMessage().startsWith(field + " must be"), error.getMessage());
    }
}
