package io.llmswarm.sampling;

import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.gguf.ModelMaker;
import io.llmswarm.gguf.ModelSpec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * A small F32 llama model whose layer weights are all zero: each layer adds nothing to the
 * residual stream, so the logits of a step are the output head applied to the normalised
 * embedding of the previous token, which a test can compute from the file alone.
 */
final class ZeroLayerModel {

    private ZeroLayerModel() {
    }

    static void write(Path file, long seed) {
        ModelMaker.write(ModelSpec.tiny(GgmlType.F32).toBuilder().weightStd(0f).outputStd(0.5f).seed(seed)
                .name("zero-layers").build(), file);
    }

    /** Output head · RMSNorm(embedding) for every token, as the zero layers leave the residual stream. */
    static float[][] logitsByPreviousToken(Path file) {
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
