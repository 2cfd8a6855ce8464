package io.llmswarm.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The packed kernels give, to the bit, what one plain formula gives: each block's integer dot
 * exactly, then {@code total = fma(dot, d * dx, total)} block after block (for Q4_K and Q5_K, two
 * totals folded super-block after super-block, {@code scaled = fma(sum_j sc_j * dot_j, d * dx,
 * scaled)} and {@code mins = fma(sum_j m_j * bsum_j, -(dmin * dx), mins)}, then
 * {@code scaled + mins}). The formulas know nothing of
 * vector widths or batches, so every width (the suite runs again with AVX2 and with 128-bit
 * vectors) and every batch size must agree with them, and so with each other.
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

    @ParameterizedTest
    @EnumSource(names = {"Q4_K", "Q5_K"})
    void everyBatchSizeGivesTheBitsOfTheSuperBlockFormula(GgmlType type) {
        int rows = 45;
        int cols = 768;
        for (int tokens : new int[] {1, 3, 4, 8, 11, 17}) {
            SegmentMatrix w = (SegmentMatrix) WeightMatrix.of(type, RandomWeights.matrix(ARENA, type, rows, cols, 5), rows, cols);
            ActivationBatch x = new ActivationBatch(ActivationFormat.Q8_K, tokens, cols);
            x.encode(RandomWeights.activations(tokens, cols, 6 + tokens), 0, tokens);
            assertSuperBlockFormula(w, x, type + " " + tokens + " tokens");
        }
    }

    /**
     * A batch of fewer tokens than a tile, in a buffer with room for more (as the engine's are):
     * the tile reaches into the spare rows, which hold an earlier batch's values, and only the
     * batch's own tokens are written, with their formula's bits.
     */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_K"})
    void aShortBatchInALargerBufferGivesItsOwnTokensExactly(GgmlType type) {
        int rows = 21;
        int cols = 512;
        SegmentMatrix w = (SegmentMatrix) WeightMatrix.of(type, RandomWeights.matrix(ARENA, type, rows, cols, 31), rows, cols);
        ActivationBatch x = new ActivationBatch(w.activationFormat(), 12, cols);
        x.encode(RandomWeights.activations(12, cols, 32), 0, 12);
        x.encode(RandomWeights.activations(5, cols, 33), 0, 5);
        float[] out = new float[5 * rows + 5];
        Arrays.fill(out, Float.NaN);
        w.multiply(x, out, rows, 0, rows);
        for (int t = 0; t < 5; t++) {
            for (int r = 0; r < rows; r++) {
                float expected = type == GgmlType.Q8_0 ? blockFormula(w, r, x, t) : superBlockFormula(w, r, x, t);
                assertEquals(expected, out[t * rows + r], 0f, type + " token " + t + " row " + r);
            }
        }
        for (int i = 5 * rows; i < out.length; i++) {
            assertEquals(Float.NaN, out[i], "wrote past the batch's tokens at " + i);
        }
    }

    /**
     * The largest sums the formats allow: every quant 15 (31), every scale and min 63, every
     * activation quant 127 or -127, so that a kernel that overflows a narrow lane or rounds a
     * partial sum past 2^24 shows it.
     */
    @ParameterizedTest
    @EnumSource(names = {"Q4_K", "Q5_K"})
    void theLargestSuperBlocksStayExact(GgmlType type) {
        int rows = 19;
        int cols = 512;
        MemorySegment data = RandomWeights.matrix(ARENA, type, rows, cols, 9);
        long blockBytes = type.typeSize();
        for (long o = 0; o < data.byteSize(); o += blockBytes) {
            for (long i = 4; i < blockBytes; i++) {
                data.set(ValueLayout.JAVA_BYTE, o + i, (byte) 0xFF);
            }
        }
        SegmentMatrix w = (SegmentMatrix) WeightMatrix.of(type, data, rows, cols);
        for (int tokens : new int[] {1, 9}) {
            float[] values = new float[tokens * cols];
            for (int t = 0; t < tokens; t++) {
                Arrays.fill(values, t * cols, (t + 1) * cols, t % 2 == 0 ? 3.5f : -2.25f);
            }
            ActivationBatch x = new ActivationBatch(ActivationFormat.Q8_K, tokens, cols);
            x.encode(values, 0, tokens);
            assertEquals(127f, Math.abs(x.values()[0]), 0f);
            assertSuperBlockFormula(w, x, type + " largest, " + tokens + " tokens");
        }
    }

    private static void assertSuperBlockFormula(SegmentMatrix w, ActivationBatch x, String what) {
        int rows = w.rows();
        int tokens = x.rows();
        float[] out = new float[tokens * rows];
        w.multiply(x, out, rows, 0, rows);
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                assertEquals(superBlockFormula(w, r, x, t), out[t * rows + r], 0f, what + ", token " + t + " row " + r);
            }
        }
    }

    /**
     * Super-blocks of 256 (Q4_K, Q5_K), read from the file's bytes: exact integer sums folded into
     * two totals, one fused multiply-add each per super-block, added at the end.
     */
    private static float superBlockFormula(SegmentMatrix w, int row, ActivationBatch x, int t) {
        boolean five = w.type() == GgmlType.Q5_K;
        int cols = w.cols();
        int blocks = cols / 256;
        long blockBytes = w.type().typeSize();
        float scaledTotal = 0;
        float minTotal = 0;
        for (int b = 0; b < blocks; b++) {
            long o = row * w.rowBytes + b * blockBytes;
            int block = t * blocks + b;
            long scaled = 0;
            long minSum = 0;
            for (int j = 0; j < 8; j++) {
                long dot = 0;
                for (int k = 0; k < 32; k++) {
                    int i = 32 * j + k;
                    int packed = w.unsignedByte(o + (five ? 48 : 16) + 32L * (j / 2) + k);
                    int q = j % 2 == 0 ? packed & 0x0F : packed >>> 4;
                    if (five) {
                        q |= ((w.unsignedByte(o + 16 + k) >>> j) & 1) << 4;
                    }
                    dot += (long) q * (int) x.values()[t * cols + b * 256 + i];
                }
                int bsum = x.groupSums()[block * 16 + 2 * j] + x.groupSums()[block * 16 + 2 * j + 1];
                scaled += KQuantScales.scale(w.data, o + 4, j) * dot;
                minSum += (long) KQuantScales.min(w.data, o + 4, j) * bsum;
            }
            float dx = x.scales()[block];
            scaledTotal = Math.fma((float) scaled, w.half(o) * dx, scaledTotal);
            minTotal = Math.fma((float) minSum, -(w.half(o + 2) * dx), minTotal);
        }
        return scaledTotal + minTotal;
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
