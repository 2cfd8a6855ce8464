package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** Q8_0 weights (blocks of 32: fp16 d, 32 int8 quants) times Q8_0 activations. */
final class Q80Matrix extends SegmentMatrix {
    private static final int BLOCK_BYTES = 34;

    Q80Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q8_0, data, rows, cols);
    }

    @Override
    void multiplyRows(ActivationBatch x, float[] out, int outStride, int rowStart, int rowEnd) {
        float[] xv = x.values();
        float[] xd = x.scales();
        int blocks = cols / 32;
        for (int r = rowStart; r < rowEnd; r++) {
            long offset = base + r * rowBytes;
            for (int t = 0; t < x.rows(); t++) {
                out[t * outStride + r] = dot(offset, xv, xd, t * cols, t * blocks, blocks);
            }
        }
    }

    private float dot(long offset, float[] xv, float[] xd, int xBase, int dBase, int blocks) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int b = 0;
        for (; b + 1 < blocks; b += 2) {
            long o = offset + (long) b * BLOCK_BYTES;
            acc0 = block(o, xv, xBase + b * 32, xd[dBase + b], acc0);
            acc1 = block(o + BLOCK_BYTES, xv, xBase + b * 32 + 32, xd[dBase + b + 1], acc1);
        }
        if (b < blocks) {
            acc0 = block(offset + (long) b * BLOCK_BYTES, xv, xBase + b * 32, xd[dBase + b], acc0);
        }
        return sumLanes(acc0.add(acc1));
    }

    /** Integer products summed per lane (exact in float), then scaled by both block scales. */
    private FloatVector block(long o, float[] xv, int xi, float xd, FloatVector acc) {
        float d = halfAt(o) * xd;
        FloatVector w0 = (FloatVector) ByteVector.fromMemorySegment(B, memory, o + 2, LE).convertShape(VectorOperators.B2F, F, 0);
        FloatVector w1 = (FloatVector) ByteVector.fromMemorySegment(B, memory, o + 18, LE).convertShape(VectorOperators.B2F, F, 0);
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
            int isum = 0;
            for (int i = 0; i < 32; i++) {
                isum += signedByte(o + 2 + i) * (int) xv[t * cols + b * 32 + i];
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
            for (int i = 0; i < 32; i++) {
                dst[dstOffset + b * 32 + i] = d * signedByte(o + 2 + i);
            }
        }
    }
}
