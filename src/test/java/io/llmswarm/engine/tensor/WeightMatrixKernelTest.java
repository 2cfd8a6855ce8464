package io.llmswarm.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Vector kernels against the scalar reference kernels, for every supported weight type. */
class WeightMatrixKernelTest {
    /** Relative to the sum of |w_i * x_i|: float32 summation order differs between kernels. */
    private static final double VECTOR_TOLERANCE = 1e-5;
    /** Dequantized weights round {@code d * scale} in float, so they differ a little more. */
    private static final double DEQUANTIZED_TOLERANCE = 1e-4;

    private static final Arena ARENA = Arena.ofShared();

    @AfterAll
    static void free() {
        ARENA.close();
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q4_K", "Q5_K", "Q6_K"})
    void vectorKernelMatchesScalarForOneToken(GgmlType type) {
        compare(type, 37, 512, 1, 0, 37);
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q4_K", "Q5_K", "Q6_K"})
    void vectorKernelMatchesScalarForSeveralTokensAndARowRange(GgmlType type) {
        compare(type, 53, 768, 7, 5, 42);
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q4_K", "Q5_K", "Q6_K"})
    void aBatchOfSeveralPanelTilesAndATailGivesEveryTokenItsDots(GgmlType type) {
        int cols = 8192;
        int tokens = PackedMatrix.TILE * 2 + 3;
        compare(type, 5, cols, tokens, 1, 4);
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16"})
    void floatKernelsHandleRowsThatAreNotAWholeNumberOfVectors(GgmlType type) {
        compare(type, 9, 40 + 7, 3, 0, 9);
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q4_K", "Q5_K", "Q6_K"})
    void kernelDotMatchesDequantizedRowTimesDecodedActivation(GgmlType type) {
        int rows = 11;
        int cols = 512;
        int tokens = 2;
        SegmentMatrix w = (SegmentMatrix) WeightMatrix.of(type, RandomWeights.matrix(ARENA, type, rows, cols, 7), rows, cols);
        ActivationBatch x = new ActivationBatch(w.activationFormat(), tokens, cols);
        x.encode(RandomWeights.activations(tokens, cols, 8), 0, tokens);
        float[] out = new float[tokens * rows];
        w.multiply(x, out, rows, 0, rows);
        float[] xs = RandomWeights.decoded(x);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            w.dequantizeRow(r, row, 0);
            for (int t = 0; t < tokens; t++) {
                double dot = 0;
                double abs = 0;
                for (int i = 0; i < cols; i++) {
                    dot += (double) row[i] * xs[t * cols + i];
                    abs += Math.abs((double) row[i] * xs[t * cols + i]);
                }
                assertEquals(dot, out[t * rows + r], DEQUANTIZED_TOLERANCE * abs + 1e-6,
                        type + " row " + r + " token " + t);
            }
        }
    }

    private static void compare(GgmlType type, int rows, int cols, int tokens, int rowStart, int rowEnd) {
        SegmentMatrix w = (SegmentMatrix) WeightMatrix.of(type, RandomWeights.matrix(ARENA, type, rows, cols, 42), rows, cols);
        ActivationBatch x = new ActivationBatch(w.activationFormat(), tokens + 2, cols);
        x.encode(RandomWeights.activations(tokens, cols, 43), 0, tokens);
        int stride = rows + 3;
        float[] vector = new float[tokens * stride];
        float[] scalar = new float[tokens * stride];
        Arrays.fill(vector, Float.NaN);
        Arrays.fill(scalar, Float.NaN);
        w.multiply(x, vector, stride, rowStart, rowEnd);
        w.multiplyReference(x, scalar, stride, rowStart, rowEnd);
        float[] xs = RandomWeights.decoded(x);
        float[] row = new float[cols];
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < stride; r++) {
                float v = vector[t * stride + r];
                if (r < rowStart || r >= rowEnd) {
                    assertTrue(Float.isNaN(v), type + ": wrote outside the row range at row " + r);
                    continue;
                }
                w.dequantizeRow(r, row, 0);
                double abs = 0;
                for (int i = 0; i < cols; i++) {
                    abs += Math.abs((double) row[i] * xs[t * cols + i]);
                }
                assertTrue(abs > 0, "degenerate test data");
                assertEquals(scalar[t * stride + r], v, VECTOR_TOLERANCE * abs, type + " row " + r + " token " + t);
            }
        }
    }
}
