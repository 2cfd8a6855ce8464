package io.llmswarm.llamacpp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.PoolingType;
import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.gguf.ModelMaker;
import io.llmswarm.gguf.ModelSpec;
import io.llmswarm.gguf.Quantizer;
import io.llmswarm.gguf.TensorInfo;
import io.llmswarm.gguf.Vocabulary;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Checks {@link Quantizer#dequantize} against llama.cpp itself: in a model whose layer weights
 * are all zero, every layer adds nothing, so the hidden state llama.cpp returns for the first
 * prompt token is that token's embedding row (dequantized by ggml) after the final RMSNorm.
 */
class LlamaCppDequantizationTest {

    @TempDir
    static Path dir;

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q4_K", "Q5_K", "Q6_K"})
    void llamaCppDecodesEmbeddingRowsAsQuantizerDoes(GgmlType type) throws Exception {
        ModelSpec base = ModelSpec.tiny(GgmlType.F32).toBuilder().embeddingLength(256).feedForwardLength(256)
                .headCount(4).headCountKv(4).vocabSize(300).weightStd(0f).embeddingType(type).build();
        Vocabulary v = base.vocabularyOrDefault();
        Vocabulary noBos = new Vocabulary(v.model(), v.pre(), v.tokens(), v.scores(), v.tokenTypes(), v.merges(),
                v.bos(), v.eos(), v.unk(), v.pad(), false, false, v.chatTemplate());
        ModelSpec spec = base.toBuilder().vocabulary(noBos).build();
        Path path = dir.resolve("embd-" + type + ".gguf");
        ModelMaker.write(spec, path);
        Files.createDirectories(Path.of(System.getProperty("de.kherud.llama.tmpdir", "target/native")));
        LlamaModel model = new LlamaModel(new ModelParameters().setModel(path.toString()).setThreads(2)
                .setCtxSize(64).enableEmbedding().setPoolingType(PoolingType.NONE));

        try (GgufFile file = GgufFile.open(path)) {
            int width = spec.embeddingLength();
            float[] norm = new float[width];
            Quantizer.dequantize(GgmlType.F32, file.tensorData("output_norm.weight"), 0, norm, 0, width);
            TensorInfo embeddings = file.tensor("token_embd.weight");
            long rowBytes = type.byteSize(width);
            for (String prompt : new String[] {"a", "the", "Z", "?"}) {
                int token = model.encode(prompt)[0];
                float[] row = new float[width];
                Quantizer.dequantize(type, file.tensorData(embeddings), token * rowBytes, row, 0, width);
                float[] expected = rmsNorm(row, norm, spec.rmsEps());
                float[] actual = model.embed(prompt);
                assertEquals(width, actual.length);
                for (int i = 0; i < width; i++) {
                    assertEquals(expected[i], actual[i], 1e-4f * (1 + Math.abs(expected[i])),
                            type + " token " + token + " element " + i);
                }
            }
        }
    }

    private static float[] rmsNorm(float[] x, float[] weight, float eps) {
        double sum = 0;
        for (float v : x) {
            sum += v * (double) v;
        }
        float scale = (float) (1 / Math.sqrt(sum / x.length + eps));
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * scale * weight[i];
        }
        return out;
    }
}
