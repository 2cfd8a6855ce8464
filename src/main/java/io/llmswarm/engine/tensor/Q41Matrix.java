package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_1 weights (blocks of 32: fp16 d, fp16 m, 16 bytes of nibbles; value = d * nibble + m) times
 * Q8_1 activations: {@code d*dx*sum(q*qx) + m*sx} per block.
 */
final class Q41Matrix extends SegmentMatrix {
    private static final int BLOCK_BYTES = 20;

    Q41Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q4_1, data, rows, cols);
    }

    @Override
    void multiplyRows(ActivationBatch x, int tokenStart, int tokenEnd, float[] out, int outStride, int rowStart, int rowEnd) {
        float[] lanes = new float[16];
        int blocks = cols / 32;
        for (int r = rowStart; r < rowEnd; r++) {
            for (int t = tokenStart; t < tokenEnd; t++) {
                out[t * outStride + r] = dot(r * rowBytes, x, t * cols, t * blocks, blocks, lanes);
            }
        }
    }

    private float dot(long offset, ActivationBatch x, int xBase, int dBase, int blocks, float[] lanes) {
        float[] xv = x.values();
        float[] xd = x.scales();
        float[] xs = x.sums();
        FloatVector acc = FloatVector.zero(F);
        float offsets = 0;
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            int xi = xBase + b * 32;
            ByteVector q = ByteVector.fromMemorySegment(B, data, o + 4, LE);
            FloatVector w0 = (FloatVector) q.and((byte) 0x0F).convertShape(VectorOperators.B2F, F, 0);
            FloatVector w1 = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.B2F, F, 0);
            FloatVector p = w1.fma(FloatVector.fromArray(F, xv, xi + 16), w0.mul(FloatVector.fromArray(F, xv, xi)));
            acc = p.fma(FloatVector.broadcast(F, half(o) * xd[dBase + b]), acc);
            offsets += half(o + 2) * xs[dBase + b];
        }
        return sumLanes(acc, lanes) + offsets;
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
                int q = unsignedByte(o + 4 + i);
                isum += (q & 0x0F) * (int) xv[base + i] + (q >>> 4) * (int) xv[base + i + 16];
            }
            sum += half(o) * x.scales()[t * blocks + b] * isum + half(o + 2) * x.sums()[t * blocks + b];
        }
        return sum;
    }

    @Override
    void dequantize(long offset, float[] dst, int dstOffset) {
        for (int b = 0; b < cols / 32; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            float d = half(o);
            float m = half(o + 2);
            for (int i = 0; i < 16; i++) {
                int q = unsignedByte(o + 4 + i);
                dst[dstOffset + b * 32 + i] = (q & 0x0F) * d + m;
                dst[dstOffset + b * 32 + i + 16] = (q >>> 4) * d + m;
            }
        }
    }
}
