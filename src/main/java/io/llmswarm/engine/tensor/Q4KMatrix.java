package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_K weights (super-blocks of 256: fp16 d, fp16 dmin, 12 bytes of 6-bit scales and mins, 128
 * bytes of nibbles; each 64 values take 32 bytes, low nibbles first) times Q8_K activations:
 * {@code dx*d*sum(scale_j*dot_j) - dx*dmin*sum(min_j*bsum_j)}.
 */
final class Q4KMatrix extends SegmentMatrix {
    private static final int BLOCK_BYTES = 144;

    Q4KMatrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q4_K, data, rows, cols);
    }

    @Override
    void multiplyRows(ActivationBatch x, int tokenStart, int tokenEnd, float[] out, int outStride, int rowStart, int rowEnd) {
        float[] lanes = new float[16];
        int blocks = cols / 256;
        for (int r = rowStart; r < rowEnd; r++) {
            for (int t = tokenStart; t < tokenEnd; t++) {
                out[t * outStride + r] = dot(base + r * rowBytes, x, t, blocks, lanes);
            }
        }
    }

    private float dot(long offset, ActivationBatch x, int t, int blocks, float[] lanes) {
        short[] xv = x.shortQuants();
        int[] groupSums = x.groupSums();
        float[] xd = x.scales();
        FloatVector acc = FloatVector.zero(F);
        float mins = 0;
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            int block = t * blocks + b;
            // The 12 scale bytes: six bits each of 8 scales and 8 mins (ggml's get_scale_min_k4),
            // unpacked inline: a call per scale costs more than the vector work.
            long p = memory.get(LONG_LE, o + 4);
            int h = memory.get(INT_LE, o + 12);
            int xi = t * cols + b * 256;
            int g = block * 16;
            // Per lane at most 8 sub-blocks * 63 * 2 * 15 * 127 (< 2^22): exact in int, and in the
            // float it becomes once per block, so the result is the one per-chunk floats gave.
            IntVector isum = IntVector.zero(I);
            int minSum = 0;
            for (int j = 0; j < 4; j++) {
                int sLo;
                int sHi;
                int mLo;
                int mHi;
                if (j < 2) {
                    sLo = (int) (p >>> (16 * j)) & 63;
                    sHi = (int) (p >>> (16 * j + 8)) & 63;
                    mLo = (int) (p >>> (16 * j + 32)) & 63;
                    mHi = (int) (p >>> (16 * j + 40)) & 63;
                } else {
                    int k = 16 * (j - 2);
                    sLo = (h >>> k) & 0x0F | (int) (p >>> (k + 2)) & 0x30;
                    sHi = (h >>> (k + 8)) & 0x0F | (int) (p >>> (k + 10)) & 0x30;
                    mLo = (h >>> (k + 4)) & 0x0F | (int) (p >>> (k + 34)) & 0x30;
                    mHi = (h >>> (k + 12)) & 0x0F | (int) (p >>> (k + 42)) & 0x30;
                }
                isum = chunk(o + 16 + 32L * j, xv, xi + 64 * j, sLo, sHi, isum);
                int gj = g + 4 * j;
                minSum += mLo * (groupSums[gj] + groupSums[gj + 1]) + mHi * (groupSums[gj + 2] + groupSums[gj + 3]);
            }
            float d = halfAt(o) * xd[block];
            acc = floats(isum).fma(FloatVector.broadcast(F, d), acc);
            mins += halfAt(o + 2) * xd[block] * minSum;
        }
        return sumLanes(acc, lanes) - mins;
    }

    /**
     * 64 values from 32 bytes: low nibbles scaled by {@code s0}, high nibbles by {@code s1}.
     * Nibbles and products in 16-bit lanes (a lane sums two, at most 2 * 15 * 127); lane i holds
     * the same integers as the float version did, at half the width.
     */
    private IntVector chunk(long q, short[] xs, int xi, int s0, int s1, IntVector isum) {
        ShortVector qa = (ShortVector) ByteVector.fromMemorySegment(B, memory, q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
        ShortVector qb = (ShortVector) ByteVector.fromMemorySegment(B, memory, q + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
        ShortVector lo = qa.and((short) 0x0F).mul(ShortVector.fromArray(S, xs, xi))
                .add(qb.and((short) 0x0F).mul(ShortVector.fromArray(S, xs, xi + 16)));
        ShortVector hi = qa.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S, xs, xi + 32))
                .add(qb.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S, xs, xi + 48)));
        isum = isum.add(((IntVector) lo.convertShape(VectorOperators.S2I, I, 0)).mul(s0));
        return isum.add(((IntVector) hi.convertShape(VectorOperators.S2I, I, 0)).mul(s1));
    }

    private int quant(long o, int i) {
        int q = unsignedByte(o + 16 + 32L * (i / 64) + (i % 32));
        return (i % 64) < 32 ? q & 0x0F : q >>> 4;
    }

    @Override
    float referenceDot(int row, ActivationBatch x, int t) {
        int blocks = cols / 256;
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
            long o = row * rowBytes + (long) b * BLOCK_BYTES;
            float xd = x.scales()[t * blocks + b];
            int scaled = 0;
            int minSum = 0;
            for (int j = 0; j < 8; j++) {
                int dot = 0;
                for (int i = 32 * j; i < 32 * j + 32; i++) {
                    dot += quant(o, i) * (int) x.values()[t * cols + b * 256 + i];
                }
                scaled += KQuantScales.scale(data, o + 4, j) * dot;
                int g = (t * blocks + b) * 16 + 2 * j;
                minSum += KQuantScales.min(data, o + 4, j) * (x.groupSums()[g] + x.groupSums()[g + 1]);
            }
            sum += half(o) * xd * scaled - half(o + 2) * xd * minSum;
        }
        return sum;
    }

    @Override
    void dequantize(long offset, float[] dst, int dstOffset) {
        for (int b = 0; b < cols / 256; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            float d = half(o);
            float dmin = half(o + 2);
            for (int i = 0; i < 256; i++) {
                int j = i / 32;
                float scale = d * KQuantScales.scale(data, o + 4, j);
                float min = dmin * KQuantScales.min(data, o + 4, j);
                dst[dstOffset + b * 256 + i] = scale * quant(o, i) - min;
            }
        }
    }
}
