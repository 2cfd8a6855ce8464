package io.llmswarm.sampling;

import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.gguf.ModelMaker;
import io.llmswarm.gguf.ModelSpec;
import io.llmswarm.llamacpp.LlamaCppModel;
import io.llmswarm.llamacpp.Sampling;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded sampling gives llama.cpp's tokens. The model has all layer weights zero, so each
 * layer adds nothing to the residual stream and the logits of a step are the output head applied
 * to the normalised embedding of the previous token: this test computes them from the file and
 * samples with {@link TokenSampler}, while llama.cpp generates with the same seed.
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
        ModelMaker.write(ModelSpec.tiny(GgmlType.F32).toBuilder().weightStd(0f).outputStd(0.5f)
                .name("zero-layers").build(), file);
        logitsAfter = logitsByPreviousToken(file);
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
        Sampling sampling = new Sampling(STEPS, config.temperature(), config.topK(), config.topP(), config.minP(),
                (int) config.seed(), true);
        String expected = llamaCpp.generate(prompt, sampling, piece -> { });
        String actual = llamaCpp.decode(java.util.Arrays.stream(tokens).filter(token -> token > EOS).toArray());
        // llama.cpp's stream shows no text for control tokens (<unk>), which decode would spell
        // out, and never sends bytes of a character left unfinished when generation stops.
        assertTrue(actual.startsWith(expected), config + "\nllama.cpp: " + expected + "\nours:      " + actual);
        assertTrue(actual.substring(expected.length()).chars().allMatch(c -> c == '\uFFFD'),
                config + ": after llama.cpp's text ours has more than an unfinished character: " + actual);
        assertTrue(expected.length() >= STEPS / 2, "llama.cpp's text is too short to compare: " + expected);
    }

    /** Output head · RMSNorm(embedding) for every token, as the zero layers leave the residual stream. */
    private static float[][] logitsByPreviousToken(Path file) {
        try (GgufFile gguf = GgufFile.open(file)) {
            int width = gguf.metadata().getInt("llama.embedding_length");
            float eps = gguf.metadata().getFloat("llama.attention.layer_norm_rms_epsilon");
            MemorySegment embedding = gguf.tensorData("token_embd.weight");
            MemorySegment norm = gguf.tensorData("output_norm.weight");
            MemorySegment output = gguf.tensorData("output.weight");
            int vocab = (int) (output.byteSize() / Float.BYTES / width);
            float[][] logits = new float[vocab][vocab];
            float[] hidden = new float[width];
            for (int token = 0; token < vocab; token++) {
                double squares = 0;
                for (int i = 0; i < width; i++) {
                    float x = read(embedding, (long) token * width + i);
                    hidden[i] = x;
                    squares += (double) x * x;
                }
                float scale = (float) (1.0 / Math.sqrt(squares / width + eps));
                for (int i = 0; i < width; i++) {
                    hidden[i] = hidden[i] * scale * read(norm, i);
                }
                for (int next = 0; next < vocab; next++) {
                    double dot = 0;
                    for (int i = 0; i < width; i++) {
                        dot += (double) read(output, (long) next * width + i) * hidden[i];
                    }
                    logits[token][next] = (float) dot;
                }
            }
            return logits;
        }
    }

    private static float read(MemorySegment segment, long index) {
        return segment.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), index * Float.BYTES);
    }
}
