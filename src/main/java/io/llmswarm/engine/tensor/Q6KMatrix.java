package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q6_K weights (super-blocks of 256: 128 bytes of low nibbles, 64 bytes of 2-bit highs, 16 int8
 * scales, fp16 d; value = d * scale * (q - 32), one scale per 16 values) times Q8_K activations.
 * Each half of 128 values uses 64 low bytes and 32 high bytes: value {@code 32p + l} (p = 0..3)
 * takes the low or high nibble of byte {@code l + 32(p & 1)} and bits {@code 2p} of
 * {@code qh[l]}; its scale is {@code scales[l/16 + 2p]}.
 */
final class Q6KMatrix extends SegmentMatrix {
    private static final int BLOCK_BYTES = 210;

    Q6KMatrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q6_K, data, rows, cols);
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

    /**
     * Multiplies the unsigned 6-bit quants and subtracts {@code 32 * sum(scale_g * bsum_g)}
     * afterwards, using the activation's sums of 16: the same integer as llama.cpp's
     * {@code sum(scale_g * dot((q - 32), qx))}.
     */
    private float dot(long offset, ActivationBatch x, int t, int blocks, float[] lanes) {
        float[] xv = x.values();
        float[] xd = x.scales();
        int[] groupSums = x.groupSums();
        FloatVector acc = FloatVector.zero(F);
        float offsets = 0;
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            int block = t * blocks + b;
            int xBase = t * cols + b * 256;
            // Per lane at most 16 groups * 128 * 63 * 127 < 2^24: exact in float.
            FloatVector isum = FloatVector.zero(F);
            int offsetSum = 0;
            // Eight pairs of groups; one call site, so the JIT's node budget covers it.
            for (int k = 0; k < 8; k++) {
                int n = k >> 2;
                int g = (k >> 1) & 1;
                int second = k & 1;
                long scales = o + 192 + 8L * n + g + 2 * second;
                int sLo = memory.get(ValueLayout.JAVA_BYTE, scales);
                int sHi = memory.get(ValueLayout.JAVA_BYTE, scales + 4);
                long ql = o + 64L * n + 16L * g + 32L * second;
                long qh = o + 128 + 32L * n + 16L * g;
                int xi = xBase + 128 * n + 16 * g + 32 * second;
                isum = pair(ql, qh, 4 - 2 * second, 2 * second, xv, xi, sLo, sHi, isum);
                int gi = block * 16 + 8 * n + g + 2 * second;
                offsetSum += sLo * groupSums[gi] + sHi * groupSums[gi + 4];
            }
            float d = halfAt(o + 208) * xd[block];
            acc = isum.fma(FloatVector.broadcast(F, d), acc);
            offsets += d * offsetSum;
        }
        return sumLanes(acc, lanes) - 32 * offsets;
    }

    /**
     * Two groups of 16 unsigned 6-bit quants sharing 16 low bytes: low nibbles (values
     * {@code xi...}, high bits moved up by {@code up}) and high nibbles (values {@code xi + 64...},
     * high bits moved down by {@code down}). Kept under the JIT's inlining size.
     */
    private FloatVector pair(long low, long qh, int up, int down, float[] xv, int xi, int sLo, int sHi, FloatVector isum) {
        IntVector l = (IntVector) ByteVector.fromMemorySegment(B, memory, low, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
        IntVector h = (IntVector) ByteVector.fromMemorySegment(B, memory, qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
        FloatVector qLo = floats(l.and(0x0F).or(h.lanewise(VectorOperators.LSHL, up).and(0x30)));
        FloatVector qHi = floats(l.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHR, down).and(0x30)));
        isum = qLo.mul(FloatVector.fromArray(F, xv, xi)).fma(FloatVector.broadcast(F, (float) sLo), isum);
        return qHi.mul(FloatVector.fromArray(F, xv, xi + 64)).fma(FloatVector.broadcast(F, (float) sHi), isum);
    }

    private int quant(long o, int i) {
        int n = i / 128;
        int p = (i % 128) / 32;
        int l = i % 32;
        int low = unsignedByte(o + 64L * n + l + 32 * (p & 1));
        int nibble = p < 2 ? low & 0x0F : low >>> 4;
        int high = (unsignedByte(o + 128 + 32L * n + l) >>> (2 * p)) & 3;
        return (nibble | high << 4) - 32;
    }

    private int scale(long o, int i) {
        int n = i / 128;
        int p = (i % 128) / 32;
        int l = i % 32;
        return signedByte(o + 192 + 8L * n + l / 16 + 2 * p);
    }

    @Override
    float referenceDot(int row, ActivationBatch x, int t) {
        int blocks = cols / 256;
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
            long o = row * rowBytes + (long) b * BLOCK_BYTES;
            int scaled = 0;
            for (int i = 0; i < 256; i += 16) {
                int dot = 0;
                for (int k = i; k < i + 16; k++) {
                    dot += quant(o, k) * (int) x.values()[t * cols + b * 256 + k];
                }
                scaled += scale(o, i) * dot;
            }
            sum += half(o + 208) * x.scales()[t * blocks + b] * scaled;
        }
        return sum;
    }

    @Override
    void dequantize(long offset, float[] dst, int dstOffset) {
        for (int b = 0; b < cols / 256; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            float d = half(o + 208);
            for (int i = 0; i < 256; i++) {
                dst[dstOffset + b * 256 + i] = d * scale(o, i) * quant(o, i);
            }
        }
    }
}
