package io.llmswarm.sampling;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The repetition penalty acts as llama.cpp's: on a {@link ZeroLayerModel}, whose greedy text
 * would loop on a few tokens, generation with a penalty over the prompt and the tokens so far
 * gives llama.cpp's text, greedy and seeded.
 */
class RepetitionPenaltyMatchesLlamaCppTest {

    private static final int BOS = 1;
    private static final int EOS = 2;
    private static final int STEPS = 48;
    private static final String PROMPT = "Hello world";

    @TempDir
    static Path folder;

    private static LlamaModel llamaCpp;
    private static float[][] logitsAfter;

    @BeforeAll
    static void makeModel() {
        Path file = folder.resolve("zero-layers-penalty-f32.gguf");
        ZeroLayerModel.write(file, 2);
        logitsAfter = ZeroLayerModel.logitsByPreviousToken(file);
        llamaCpp = new LlamaModel(new ModelParameters().setModel(file.toString()).setThreads(1).setCtxSize(256)
                .setParallel(1).setGpuLayers(0));
    }

    @Test
    void greedyWithAPenaltyMatchesLlamaCpp() {
        assertSameText(SamplingConfig.greedy().withRepetitionPenalty(1.3f, 64));
    }

    @Test
    void seededSamplingWithAPenaltyOverAShortWindowMatchesLlamaCpp() {
        assertSameText(new SamplingConfig(0.8f, 40, 0.95f, 0.05f, 1.5f, 8, 5));
    }

    private static void assertSameText(SamplingConfig config) {
        int[] promptTokens = llamaCpp.encode(PROMPT);
        // llama.cpp's server feeds the prompt (BOS included) to the penalty's history before sampling.
        TokenHistory history = new TokenHistory(Math.max(1, config.repetitionLastN()));
        history.add(BOS);
        history.addAll(promptTokens);
        TokenSampler sampler = TokenSampler.create(config);
        int[] tokens = new int[STEPS];
        int previous = promptTokens[promptTokens.length - 1];
        for (int step = 0; step < STEPS; step++) {
            float[] logits = logitsAfter[previous].clone();
            logits[EOS] = Float.NEGATIVE_INFINITY; // ignore_eos
            previous = sampler.sample(logits, logits.length, history);
            history.add(previous);
            tokens[step] = previous;
        }
        String ours = llamaCpp.decode(Arrays.stream(tokens).filter(token -> token > EOS).toArray());
        String theirs = generate(config);
        assertTrue(ours.startsWith(theirs), config + "\nllama.cpp: " + theirs + "\nours:      " + ours);
        assertTrue(ours.substring(theirs.length()).chars().allMatch(c -> c == '\uFFFD'), config + ": " + ours);
        assertTrue(theirs.length() >= STEPS / 2, "llama.cpp's text is too short to compare: " + theirs);
        String unpenalised = plainGreedy(promptTokens);
        assertTrue(!config.isGreedy() || !unpenalised.equals(ours), "the penalty changed nothing: " + ours);
    }

    private static String generate(SamplingConfig config) {
        InferenceParameters parameters = new InferenceParameters(PROMPT)
                .setNPredict(STEPS)
                .setTemperature(config.temperature())
                .setTopK(config.topK())
                .setTopP(config.topP())
                .setMinP(config.minP())
                .setSeed((int) config.seed())
                .setRepeatPenalty(config.repetitionPenalty())
                .setRepeatLastN(config.repetitionLastN())
                .setIgnoreEos(true)
                .setCachePrompt(false);
        // No setSamplers: java-llama.cpp cannot name the penalty sampler, and llama.cpp's default
        // chain is penalties, DRY, top-k, typical, top-p, min-p, XTC, temperature, where DRY,
        // typical and XTC do nothing at their defaults.
        StringBuilder text = new StringBuilder();
        for (LlamaOutput output : llamaCpp.generate(parameters)) {
            text.append(output.text);
        }
        return text.toString();
    }

    private static String plainGreedy(int[] promptTokens) {
        TokenSampler greedy = TokenSampler.create(SamplingConfig.greedy());
        int[] tokens = new int[STEPS];
        int previous = promptTokens[promptTokens.length - 1];
        for (int step = 0; step < STEPS; step++) {
            float[] logits = logitsAfter[previous].clone();
            logits[EOS] = Float.NEGATIVE_INFINITY;
            previous = greedy.sample(logits, logits.length, null);
            tokens[step] = previous;
        }
        return llamaCpp.decode(Arrays.stream(tokens).filter(token -> token > EOS).toArray());
    }
}
