package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q5_K weights (super-blocks of 256: fp16 d, fp16 dmin, 12 bytes of scales and mins as Q4_K, 32
 * bytes of high bits, 128 bytes of nibbles) times Q8_K activations. Value {@code 64c + k} takes
 * its fifth bit from {@code qh[k % 32]} bit {@code 2c + (k < 32 ? 0 : 1)}.
 */
final class Q5KMatrix extends SegmentMatrix {
    private static final int BLOCK_BYTES = 176;

    Q5KMatrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q5_K, data, rows, cols);
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
        float[] xv = x.values();
        float[] xd = x.scales();
        int[] groupSums = x.groupSums();
        FloatVector acc = FloatVector.zero(F);
        float mins = 0;
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            int block = t * blocks + b;
            int xBase = t * cols + b * 256;
            // Scales and mins unpacked inline as for Q4_K (ggml's get_scale_min_k4).
            long p = memory.get(LONG_LE, o + 4);
            int h = memory.get(INT_LE, o + 12);
            // Per lane at most 8 sub-blocks * 63 * 2 * 31 * 127: exact in float.
            FloatVector isum = FloatVector.zero(F);
            int minSum = 0;
            for (int k = 0; k < 8; k++) {
                int j = k >> 1;
                int half = k & 1;
                int sLo;
                int sHi;
                if (j < 2) {
                    sLo = (int) (p >>> (16 * j)) & 63;
                    sHi = (int) (p >>> (16 * j + 8)) & 63;
                } else {
                    int s = 16 * (j - 2);
                    sLo = (h >>> s) & 0x0F | (int) (p >>> (s + 2)) & 0x30;
                    sHi = (h >>> (s + 8)) & 0x0F | (int) (p >>> (s + 10)) & 0x30;
                }
                isum = nibbles(o + 48 + 32L * j + 16L * half, o + 16 + 16L * half, 2 * j, xv, xBase + 64 * j + 16 * half,
                        sLo, sHi, isum);
                if (half == 0) {
                    int mLo;
                    int mHi;
                    if (j < 2) {
                        mLo = (int) (p >>> (16 * j + 32)) & 63;
                        mHi = (int) (p >>> (16 * j + 40)) & 63;
                    } else {
                        int s = 16 * (j - 2);
                        mLo = (h >>> (s + 4)) & 0x0F | (int) (p >>> (s + 34)) & 0x30;
                        mHi = (h >>> (s + 12)) & 0x0F | (int) (p >>> (s + 42)) & 0x30;
                    }
                    int g = block * 16 + 4 * j;
                    minSum += mLo * (groupSums[g] + groupSums[g + 1]) + mHi * (groupSums[g + 2] + groupSums[g + 3]);
                }
            }
            float d = halfAt(o) * xd[block];
            acc = isum.fma(FloatVector.broadcast(F, d), acc);
            mins += halfAt(o + 2) * xd[block] * minSum;
        }
        return sumLanes(acc, lanes) - mins;
    }

    /**
     * 16 bytes of nibbles with their fifth bits from 16 high-bit bytes (bit {@code bit} for the
     * low nibbles, values {@code xi...}; bit {@code bit + 1} for the high nibbles, values
     * {@code xi + 32...}).
     */
    private FloatVector nibbles(long qs, long qh, int bit, float[] xv, int xi, int sLo, int sHi, FloatVector isum) {
        IntVector q = (IntVector) ByteVector.fromMemorySegment(B, memory, qs, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
        IntVector h = (IntVector) ByteVector.fromMemorySegment(B, memory, qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
        h = h.lanewise(VectorOperators.LSHR, bit);
        FloatVector lo = floats(q.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)));
        FloatVector hi = floats(q.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)));
        isum = lo.mul(FloatVector.fromArray(F, xv, xi)).fma(FloatVector.broadcast(F, (float) sLo), isum);
        return hi.mul(FloatVector.fromArray(F, xv, xi + 32)).fma(FloatVector.broadcast(F, (float) sHi), isum);
    }

    private int quant(long o, int i) {
        int c = i / 64;
        int k = i % 64;
        int q = unsignedByte(o + 48 + 32L * c + (k % 32));
        int nibble = k < 32 ? q & 0x0F : q >>> 4;
        int high = (unsignedByte(o + 16 + (k % 32)) >>> (2 * c + (k < 32 ? 0 : 1))) & 1;
        return nibble | high << 4;
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
