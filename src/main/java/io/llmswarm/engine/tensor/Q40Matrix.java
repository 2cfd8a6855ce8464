package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_0 weights (blocks of 32: fp16 d, 16 bytes of nibbles; low nibbles are values 0-15, high
 * nibbles values 16-31; value = d * (nibble - 8)) times Q8_0 activations.
 */
final class Q40Matrix extends SegmentMatrix {
    private static final int BLOCK_BYTES = 18;

    Q40Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q4_0, data, rows, cols);
    }

    @Override
    void multiplyRows(ActivationBatch x, float[] out, int outStride, int rowStart, int rowEnd) {
        int blocks = cols / 32;
        for (int r = rowStart; r < rowEnd; r++) {
            long offset = base + r * rowBytes;
            for (int t = 0; t < x.rows(); t++) {
                out[t * outStride + r] = dot(offset, x, t * cols, t * blocks, blocks);
            }
        }
    }

    /**
     * Sums {@code d*dx*sum(q*qx)} with unsigned nibbles and subtracts {@code 8*d*dx*sum(qx)}
     * afterwards: the same value as llama.cpp's {@code d*dx*sum((q-8)*qx)}, with two fewer
     * vector operations per block.
     */
    private float dot(long offset, ActivationBatch x, int xBase, int dBase, int blocks) {
        float[] xv = x.values();
        float[] xd = x.scales();
        float[] xsum = x.quantSums();
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        float offsets = 0;
        int b = 0;
        for (; b + 1 < blocks; b += 2) {
            long o = offset + (long) b * BLOCK_BYTES;
            float d0 = halfAt(o) * xd[dBase + b];
            float d1 = halfAt(o + BLOCK_BYTES) * xd[dBase + b + 1];
            acc0 = block(o, xv, xBase + b * 32, d0, acc0);
            acc1 = block(o + BLOCK_BYTES, xv, xBase + b * 32 + 32, d1, acc1);
            offsets += d0 * xsum[dBase + b] + d1 * xsum[dBase + b + 1];
        }
        if (b < blocks) {
            long o = offset + (long) b * BLOCK_BYTES;
            float d0 = halfAt(o) * xd[dBase + b];
            acc0 = block(o, xv, xBase + b * 32, d0, acc0);
            offsets += d0 * xsum[dBase + b];
        }
        return sumLanes(acc0.add(acc1)) - 8 * offsets;
    }

    private FloatVector block(long o, float[] xv, int xi, float d, FloatVector acc) {
        IntVector q = (IntVector) ByteVector.fromMemorySegment(B, memory, o + 2, LE)
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
        FloatVector w0 = (FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0);
        FloatVector w1 = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0);
        FloatVector p = w1.fma(FloatVector.fromArray(F, xv, xi + 16), w0.mul(FloatVector.fromArray(F, xv, xi)));
        return p.fma(FloatVector.broadcast(F, d), acc);
    }

    @Override
    float referenceDot(int row, ActivationBatch x, int t) {
        float[] xv = x.values();
        int blocks = cols / 32;
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
            long o = row * rowBytes + (long) b * BLOCK_BYTES;
            int base = t * cols + b * 32;
            int isum = 0;
            for (int i = 0; i < 16; i++) {
                int q = unsignedByte(o + 2 + i);
                isum += ((q & 0x0F) - 8) * (int) xv[base + i] + ((q >>> 4) - 8) * (int) xv[base + i + 16];
            }
            sum += half(o) * x.scales()[t * blocks + b] * isum;
        }
        return sum;
    }

    @Override
    void dequantize(long offset, float[] dst, int dstOffset) {
        for (int b = 0; b < cols / 32; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            float d = half(o);
            for (int i = 0; i < 16; i++) {
                int q = unsignedByte(o + 2 + i);
                dst[dstOffset + b * 32 + i] = d * ((q & 0x0F) - 8);
                dst[dstOffset + b * 32 + i + 16] = d * ((q >>> 4) - 8);
            }
        }
    }
}
