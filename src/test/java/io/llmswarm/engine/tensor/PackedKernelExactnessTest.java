package io.llmswarm.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The packed kernels give, to the bit, what one plain formula gives: each block's integer dot
 * exactly, then {@code total = fma(dot, d * dx, total)} block after block. The formula knows
 * nothing of vector widths or batches, so every width (the suite runs again with AVX2 and with
 * 128-bit vectors) and every batch size must agree with it, and so with each other.
 */
class PackedKernelExactnessTest {
    private static final Arena ARENA = Arena.ofShared();

    @AfterAll
    static void free() {
        ARENA.close();
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0"})
    void everyBatchSizeGivesTheBitsOfTheBlockFormula(GgmlType type) {
        int rows = 45;
        int cols = 320;
        for (int tokens : new int[] {1, 3, 4, 8, 11, 17}) {
            SegmentMatrix w = (SegmentMatrix) WeightMatrix.of(type, RandomWeights.matrix(ARENA, type, rows, cols, 5), rows, cols);
            ActivationBatch x = new ActivationBatch(ActivationFormat.Q8_0, tokens, cols);
            x.encode(RandomWeights.activations(tokens, cols, 6 + tokens), 0, tokens);
            float[] out = new float[tokens * rows];
            w.multiply(x, out, rows, 0, rows);
            for (int t = 0; t < tokens; t++) {
                for (int r = 0; r < rows; r++) {
                    assertEquals(blockFormula(w, r, x, t), out[t * rows + r], 0f,
                            type + " " + tokens + " tokens, token " + t + " row " + r);
                }
            }
        }
    }

    /** Blocks of 32 with one scale: exact integer dot, one fused multiply-add per block. */
    private static float blockFormula(SegmentMatrix w, int row, ActivationBatch x, int t) {
        float[] q = new float[w.cols()];
        int blocks = w.cols() / 32;
        float[] d = new float[blocks];
        w.dequantizeRow(row, q, 0);
        long blockBytes = w.type().typeSize();
        for (int b = 0; b < blocks; b++) {
            d[b] = w.half(row * w.rowBytes + b * blockBytes);
        }
        float total = 0;
        for (int b = 0; b < blocks; b++) {
            long dot = 0;
            for (int i = b * 32; i < b * 32 + 32; i++) {
                int quant = d[b] == 0 ? 0 : Math.round(q[i] / d[b]);
                dot += (long) quant * (int) x.values()[t * w.cols() + i];
            }
            total = Math.fma((float) dot, d[b] * x.scales()[t * blocks + b], total);
        }
        return total;
    }
}
