package io.llmswarm.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * As {@link PackedKernelExactnessTest}, for the packed types with other formulas: Q5_0 (the block
 * formula of Q8_0 and Q4_0), Q4_1 (the block formula plus a chain of its offsets) and the float
 * types (four chains of fused multiply-adds, {@link FloatPanel}). The formulas know nothing of
 * vector widths or batches, so every width (the suite runs again with AVX2 and with 128-bit
 * vectors) and every batch size must give their bits.
 */
class PackedFloatAndQ41Q50ExactnessTest {
    private static final Arena ARENA = Arena.ofShared();

    @AfterAll
    static void free() {
        ARENA.close();
    }

    @ParameterizedTest
    @EnumSource(names = {"Q5_0"})
    void everyBatchSizeGivesTheBitsOfTheBlockFormula(GgmlType type) {
        assertEveryBatchSizeGives(type, 45, 320, PackedFloatAndQ41Q50ExactnessTest::blockFormula);
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_1"})
    void everyBatchSizeGivesTheBitsOfTheOffsetBlockFormula(GgmlType type) {
        assertEveryBatchSizeGives(type, 45, 320, PackedFloatAndQ41Q50ExactnessTest::offsetBlockFormula);
    }

    /** Also a row length that is no multiple of the four chains, nor of any vector. */
    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16"})
    void everyBatchSizeGivesTheBitsOfTheFloatFormula(GgmlType type) {
        assertEveryBatchSizeGives(type, 45, 323, PackedFloatAndQ41Q50ExactnessTest::floatFormula);
        assertEveryBatchSizeGives(type, 37, 320, PackedFloatAndQ41Q50ExactnessTest::floatFormula);
    }

    private interface Formula {
        float dot(SegmentMatrix w, int row, ActivationBatch x, int t);
    }

    private static void assertEveryBatchSizeGives(GgmlType type, int rows, int cols, Formula formula) {
        SegmentMatrix w = (SegmentMatrix) WeightMatrix.of(type, RandomWeights.matrix(ARENA, type, rows, cols, 5), rows, cols);
        for (int tokens : new int[] {1, 3, 4, 8, 11, 17}) {
            ActivationBatch x = new ActivationBatch(w.activationFormat(), tokens, cols);
            x.encode(RandomWeights.activations(tokens, cols, 6 + tokens), 0, tokens);
            float[] out = new float[tokens * rows];
            w.multiply(x, out, rows, 0, rows);
            for (int t = 0; t < tokens; t++) {
                for (int r = 0; r < rows; r++) {
                    assertEquals(formula.dot(w, r, x, t), out[t * rows + r], 0f,
                            type + " " + rows + " x " + cols + ", " + tokens + " tokens, token " + t + " row " + r);
                }
            }
        }
    }

    /** Blocks of 32 with one scale: exact integer dot, one fused multiply-add per block. */
    private static float blockFormula(SegmentMatrix w, int row, ActivationBatch x, int t) {
        float[] q = new float[w.cols()];
        int blocks = w.cols() / 32;
        w.dequantizeRow(row, q, 0);
        float total = 0;
        for (int b = 0; b < blocks; b++) {
            float d = w.half(row * w.rowBytes + b * w.type().typeSize());
            long dot = 0;
            for (int i = b * 32; i < b * 32 + 32; i++) {
                int quant = d == 0 ? 0 : Math.round(q[i] / d);
                dot += (long) quant * (int) x.values()[t * w.cols() + i];
            }
            total = Math.fma((float) dot, d * x.scales()[t * blocks + b], total);
        }
        return total;
    }

    /**
     * Q4_1 with Q8_1 activations: {@code total = fma(dot, d * dx, total)} over the blocks with the
     * unsigned nibbles' exact dot, {@code offset = fma(m, s, offset)} beside it, then their sum.
     */
    private static float offsetBlockFormula(SegmentMatrix w, int row, ActivationBatch x, int t) {
        int blocks = w.cols() / 32;
        float total = 0;
        float offset = 0;
        for (int b = 0; b < blocks; b++) {
            long o = row * w.rowBytes + b * w.type().typeSize();
            long dot = 0;
            for (int i = 0; i < 32; i++) {
                int pair = w.unsignedByte(o + 4 + i % 16);
                int nibble = i < 16 ? pair & 0x0F : pair >>> 4;
                dot += (long) nibble * (int) x.values()[t * w.cols() + b * 32 + i];
            }
            total = Math.fma((float) dot, w.half(o) * x.scales()[t * blocks + b], total);
            offset = Math.fma(w.half(o + 2), x.sums()[t * blocks + b], offset);
        }
        return total + offset;
    }

    /**
     * Float weights: chain {@code j} of four takes columns {@code j, j+4, ...} by fused
     * multiply-adds; the row's dot is {@code (c0 + c1) + (c2 + c3)}.
     */
    private static float floatFormula(SegmentMatrix w, int row, ActivationBatch x, int t) {
        float[] v = new float[w.cols()];
        w.dequantizeRow(row, v, 0);
        float[] chains = new float[4];
        for (int k = 0; k < w.cols(); k++) {
            chains[k % 4] = Math.fma(v[k], x.values()[t * w.cols() + k], chains[k % 4]);
        }
        return (chains[0] + chains[1]) + (chains[2] + chains[3]);
    }
}
