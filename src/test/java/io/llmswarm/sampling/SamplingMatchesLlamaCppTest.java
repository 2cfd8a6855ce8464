package io.llmswarm.sampling;

import io.llmswarm.llamacpp.LlamaCppModel;
import io.llmswarm.llamacpp.Sampling;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded sampling gives llama.cpp's tokens: on a {@link ZeroLayerModel} this test computes each
 * step's logits from the file and samples with {@link TokenSampler}, while llama.cpp generates
 * with the same seed.
 */
class SamplingMatchesLlamaCppTest {

    private static final int EOS = 2;
    private static final int STEPS = 48;

    @TempDir
    static Path folder;

    private static LlamaCppModel llamaCpp;
    private static float[][] logitsAfter;

    @BeforeAll
    static void makeModel() {
        Path file = folder.resolve("zero-layers-f32.gguf");
        ZeroLayerModel.write(file, 1);
        logitsAfter = ZeroLayerModel.logitsByPreviousToken(file);
        llamaCpp = LlamaCppModel.load(file, 1);
    }

    @Test
    void topKThenTopPThenMinPMatchesLlamaCpp() {
        assertSameText(new SamplingConfig(0.9f, 40, 0.95f, 0.05f, 1f, 0, 1234));
    }

    @Test
    void theWholeVocabularyAtAHighTemperatureMatchesLlamaCpp() {
        assertSameText(new SamplingConfig(1.5f, 0, 1f, 0f, 1f, 0, 99));
    }

    @Test
    void topPAndMinPWithoutTopKMatchLlamaCpp() {
        assertSameText(new SamplingConfig(0.7f, 0, 0.9f, 0.02f, 1f, 0, 7));
    }

    private static void assertSameText(SamplingConfig config) {
        String prompt = "Hello world";
        int[] promptTokens = llamaCpp.encode(prompt);
        TokenSampler sampler = TokenSampler.create(config);
        int[] tokens = new int[STEPS];
        int previous = promptTokens[promptTokens.length - 1];
        for (int step = 0; step < STEPS; step++) {
            float[] logits = logitsAfter[previous].clone();
            logits[EOS] = Float.NEGATIVE_INFINITY; // llama.cpp's ignore_eos is a logit bias of -inf on EOS
            previous = sampler.sample(logits, logits.length, null);
            tokens[step] = previous;
        }
        Sampling sampling = Sampling.of(config, STEPS, true);
        String expected = llamaCpp.generate(prompt, sampling, piece -> { });
        String actual = llamaCpp.decode(Arrays.stream(tokens).filter(token -> token > EOS).toArray());
        // llama.cpp's stream shows no text for control tokens (<unk>), which decode would spell
        // out, and never sends bytes of a character left unfinished when generation stops.
        assertTrue(actual.startsWith(expected), config + "\nllama.cpp: " + expected + "\nours:      " + actual);
        assertTrue(actual.substring(expected.length()).chars().allMatch(c -> c == '\uFFFD'),
                config + ": after llama.cpp's text ours has more than an unfinished character: " + actual);
        assertTrue(expected.length() >= STEPS / 2, "llama.cpp's text is too short to compare: " + expected);
    }
}
