package io.llmswarm.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.Quantizer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Cross-checks against the gguf package's independent {@link Quantizer}: the same bytes must
 * dequantize to the same values, and the kernels must agree with a float dot product over
 * weights quantized the way llama.cpp quantizes them (realistic scales, not random bytes).
 */
class QuantizerCrossCheckTest {

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q4_K", "Q5_K", "Q6_K"})
    void dequantizedRowsMatchTheQuantizer(GgmlType type) {
        int rows = 3;
        int cols = 512;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = RandomWeights.matrix(arena, type, rows, cols, 17);
            WeightMatrix w = WeightMatrix.of(type, data, rows, cols);
            float[] ours = new float[cols];
            float[] theirs = new float[cols];
            for (int r = 0; r < rows; r++) {
                w.dequantizeRow(r, ours, 0);
                Quantizer.dequantize(type, data, r * type.byteSize(cols), theirs, 0, cols);
                for (int i = 0; i < cols; i++) {
                    assertEquals(theirs[i], ours[i], 1e-6f * Math.max(1, Math.abs(theirs[i])), type + " row " + r + " value " + i);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q4_K", "Q5_K", "Q6_K"})
    void kernelsAgreeWithFloatDotOfQuantizedWeights(GgmlType type) {
        int rows = 5;
        int cols = 768;
        float[] weights = RandomWeights.activations(rows, cols, 23);
        try (Arena arena = Arena.ofConfined()) {
            byte[] bytes = Quantizer.quantize(type, weights);
            MemorySegment data = arena.allocate(bytes.length, 64);
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, data, 0, bytes.length);
            WeightMatrix w = WeightMatrix.of(type, data, rows, cols);
            float[] dequantized = Quantizer.dequantize(type, bytes);
            ActivationBatch x = new ActivationBatch(w.activationFormat(), 2, cols);
            x.encode(RandomWeights.activations(2, cols, 29), 0, 2);
            float[] xs = RandomWeights.decoded(x);
            float[] out = new float[2 * rows];
            w.multiply(x, out, rows, 0, rows);
            for (int t = 0; t < 2; t++) {
                for (int r = 0; r < rows; r++) {
                    double dot = 0;
                    double abs = 0;
                    for (int i = 0; i < cols; i++) {
                        double p = (double) dequantized[r * cols + i] * xs[t * cols + i];
                        dot += p;
                        abs += Math.abs(p);
                    }
                    assertEquals(dot, out[t * rows + r], 1e-4 * abs, type + " row " + r + " token " + t);
                }
            }
        }
    }
}
