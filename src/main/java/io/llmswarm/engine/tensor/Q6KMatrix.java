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
    void multiplyRows(ActivationBatch x, float[] out, int outStride, int rowStart, int rowEnd) {
        float[] lanes = new float[16];
        int blocks = cols / 256;
        for (int r = rowStart; r < rowEnd; r++) {
            for (int t = 0; t < x.rows(); t++) {
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
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
            sum += superBlock(offset + (long) b * BLOCK_BYTES, x, t * blocks + b, t * cols + b * 256, lanes);
        }
        return sum;
    }

    /**
     * One super-block in its own method: the JIT gives up inlining vector code in a method that
     * grows too big, and a vector that is not inlined gets boxed.
     */
    private float superBlock(long o, ActivationBatch x, int block, int xBase, float[] lanes) {
        float[] xv = x.values();
        int[] groupSums = x.groupSums();
        int gBase = block * 16;
        // Per lane at most 16 groups * 128 * 63 * 127 < 2^24: exact in float.
        FloatVector isum = FloatVector.zero(F);
        int offsetSum = 0;
        for (int k = 0; k < 4; k++) {
            int n = k >> 1;
            int g = k & 1;
            long scales = o + 192 + 8L * n;
            long ql = o + 64L * n + 16L * g;
            IntVector low0 = (IntVector) ByteVector.fromMemorySegment(B, memory, ql, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector low1 = (IntVector) ByteVector.fromMemorySegment(B, memory, ql + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector high = (IntVector) ByteVector.fromMemorySegment(B, memory, o + 128 + 32L * n + 16L * g, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            int xi = xBase + 128 * n + 16 * g;
            int s0 = memory.get(ValueLayout.JAVA_BYTE, scales + g);
            int s1 = memory.get(ValueLayout.JAVA_BYTE, scales + g + 2);
            int s2 = memory.get(ValueLayout.JAVA_BYTE, scales + g + 4);
            int s3 = memory.get(ValueLayout.JAVA_BYTE, scales + g + 6);
            FloatVector q0 = floats(low0.and(0x0F).or(high.lanewise(VectorOperators.LSHL, 4).and(0x30)));
            FloatVector q1 = floats(low1.and(0x0F).or(high.lanewise(VectorOperators.LSHL, 2).and(0x30)));
            FloatVector q2 = floats(low0.lanewise(VectorOperators.LSHR, 4).or(high.and(0x30)));
            FloatVector q3 = floats(low1.lanewise(VectorOperators.LSHR, 4).or(high.lanewise(VectorOperators.LSHR, 2).and(0x30)));
            isum = q0.mul(FloatVector.fromArray(F, xv, xi)).fma(FloatVector.broadcast(F, (float) s0), isum);
            isum = q1.mul(FloatVector.fromArray(F, xv, xi + 32)).fma(FloatVector.broadcast(F, (float) s1), isum);
            isum = q2.mul(FloatVector.fromArray(F, xv, xi + 64)).fma(FloatVector.broadcast(F, (float) s2), isum);
            isum = q3.mul(FloatVector.fromArray(F, xv, xi + 96)).fma(FloatVector.broadcast(F, (float) s3), isum);
            int gi = gBase + 8 * n + g;
            offsetSum += s0 * groupSums[gi] + s1 * groupSums[gi + 2] + s2 * groupSums[gi + 4] + s3 * groupSums[gi + 6];
        }
        float d = halfAt(o + 208) * x.scales()[block];
        return d * (sumLanes(isum, lanes) - 32 * offsetSum);
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
