package io.llmswarm.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The packed Q6_K kernels give, to the bit, what one plain formula gives: per super-block the
 * exact integer {@code S = sum_j sc_j * sum_i (q_i - 32) * x_i}, then
 * {@code total = fma((float) S, d * dx, total)} super-block after super-block. Every batch size
 * (decode, panel tiles and their tails) and every vector width must agree with it. Besides random
 * blocks, a matrix of extreme blocks (quants at 0 and 63, scales at -128 and 127, activations at
 * +-127) takes every partial sum to its bound and the super-block sums far past 2^24.
 */
class PackedQ6KExactnessTest {
    private static final Arena ARENA = Arena.ofShared();
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int[] BATCHES = {1, 3, 4, 8, 11, 17};

    @AfterAll
    static void free() {
        ARENA.close();
    }

    @Test
    void everyBatchSizeGivesTheBitsOfTheSuperBlockFormula() {
        int rows = 45;
        int cols = 768;
        for (int tokens : BATCHES) {
            MemorySegment data = RandomWeights.matrix(ARENA, GgmlType.Q6_K, rows, cols, 5);
            check(data, rows, cols, RandomWeights.activations(tokens, cols, 6 + tokens), tokens);
        }
    }

    @Test
    void extremeBlocksStayExact() {
        int rows = 37;
        int cols = 512;
        MemorySegment data = extremeMatrix(rows, cols, 21);
        for (int tokens : BATCHES) {
            Random random = new Random(tokens);
            float[] x = new float[tokens * cols];
            for (int i = 0; i < x.length; i++) {
                // Mostly one sign: products pile up. The first value of each block sets the scale.
                x[i] = i % 256 == 0 || random.nextInt(10) > 0 ? 1f : -1f;
            }
            float max = check(data, rows, cols, x, tokens);
            assertTrue(max > (1 << 24), "the extreme case should pass 2^24, reached " + max);
        }
    }

    /** Checks every row and token; returns the largest |S| met. */
    private static float check(MemorySegment data, int rows, int cols, float[] activations, int tokens) {
        SegmentMatrix w = (SegmentMatrix) WeightMatrix.of(GgmlType.Q6_K, data, rows, cols, ARENA);
        assertTrue(w.packedBytes() > 0, "Q6_K should have a packed copy");
        ActivationBatch x = new ActivationBatch(ActivationFormat.Q8_K, tokens, cols);
        x.encode(activations, 0, tokens);
        float[] out = new float[tokens * rows];
        w.multiply(x, out, rows, 0, rows);
        long max = 0;
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                long[] largest = new long[1];
                assertEquals(formula(w, r, x, t, largest), out[t * rows + r], 0f,
                        tokens + " tokens, token " + t + " row " + r);
                max = Math.max(max, largest[0]);
            }
        }
        return max;
    }

    /** The super-block formula, from ggml's block bytes. */
    private static float formula(SegmentMatrix w, int row, ActivationBatch x, int t, long[] largest) {
        int cols = w.cols();
        int blocks = cols / 256;
        float total = 0;
        for (int b = 0; b < blocks; b++) {
            long o = row * w.rowBytes + b * 210L;
            long s = 0;
            for (int j = 0; j < 16; j++) {
                long dot = 0;
                for (int i = 16 * j; i < 16 * j + 16; i++) {
                    dot += (long) (quant(w.data, o, i) - 32) * (int) x.values()[t * cols + b * 256 + i];
                }
                s += scale(w.data, o, j) * dot;
            }
            largest[0] = Math.max(largest[0], Math.abs(s));
            float d = Float.float16ToFloat(w.data.get(SHORT_LE, o + 208));
            total = Math.fma((float) s, d * x.scales()[t * blocks + b], total);
        }
        return total;
    }

    /** The 6-bit quant of value {@code i} (0..255) of the block at {@code o}. */
    private static int quant(MemorySegment data, long o, int i) {
        int n = i / 128;
        int p = i % 128 / 32;
        int l = i % 32;
        int low = data.get(ValueLayout.JAVA_BYTE, o + 64L * n + 32 * (p & 1) + l) & 0xFF;
        int high = data.get(ValueLayout.JAVA_BYTE, o + 128 + 32L * n + l) & 0xFF;
        return (p < 2 ? low & 0x0F : low >>> 4) | ((high >>> (2 * p)) & 3) << 4;
    }

    /** The scale of sub-block {@code j}: ggml stores them in sub-block order. */
    private static int scale(MemorySegment data, long o, int j) {
        return data.get(ValueLayout.JAVA_BYTE, o + 192 + j);
    }

    /** Blocks whose quants are mostly 0 (q - 32 = -32) and scales mostly -128. */
    private static MemorySegment extremeMatrix(int rows, int cols, long seed) {
        Random random = new Random(seed);
        int blocks = rows * cols / 256;
        MemorySegment data = ARENA.allocate(blocks * 210L);
        for (int b = 0; b < blocks; b++) {
            long o = b * 210L;
            for (int i = 0; i < 256; i++) {
                int q = random.nextInt(10) > 0 ? 0 : random.nextInt(10) > 4 ? 63 : random.nextInt(64);
                int n = i / 128;
                int p = i % 128 / 32;
                int l = i % 32;
                long lowAt = o + 64L * n + 32 * (p & 1) + l;
                int low = data.get(ValueLayout.JAVA_BYTE, lowAt) & 0xFF;
                low = p < 2 ? (low & 0xF0) | (q & 0x0F) : (low & 0x0F) | (q & 0x0F) << 4;
                data.set(ValueLayout.JAVA_BYTE, lowAt, (byte) low);
                long highAt = o + 128 + 32L * n + l;
                int high = data.get(ValueLayout.JAVA_BYTE, highAt) & 0xFF;
                high = high & ~(3 << (2 * p)) | (q >>> 4) << (2 * p);
                data.set(ValueLayout.JAVA_BYTE, highAt, (byte) high);
            }
            for (int j = 0; j < 16; j++) {
                int sc = random.nextInt(10) > 0 ? -128 : random.nextInt(10) > 4 ? 127 : random.nextInt(256) - 128;
                data.set(ValueLayout.JAVA_BYTE, o + 192 + j, (byte) sc);
            }
            data.set(SHORT_LE, o + 208, Float.floatToFloat16((random.nextBoolean() ? 1 : -1) * 0.001f * (1 + random.nextFloat())));
        }
        return data;
    }
}
