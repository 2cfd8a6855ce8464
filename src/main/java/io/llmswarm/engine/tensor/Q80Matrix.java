package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/** Q8_0 weights (blocks of 32: fp16 d, 32 int8 quants) times Q8_0 activations. */
final class Q80Matrix extends SegmentMatrix {
    private static final int BLOCK_BYTES = 34;

    Q80Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q8_0, data, rows, cols);
    }

    @Override
    void multiplyRows(ActivationBatch x, int tokenStart, int tokenEnd, float[] out, int outStride, int rowStart, int rowEnd) {
        float[] lanes = new float[16];
        float[] xv = x.values();
        short[] xs = x.shortQuants();
        float[] xd = x.scales();
        int blocks = cols / 32;
        int tokens = tokenEnd;
        for (int r = rowStart; r < rowEnd; r++) {
            long offset = base + r * rowBytes;
            int t = tokenStart;
            // A batch (prompt): widen each weight block once for four tokens.
            for (; t + 4 <= tokens; t += 4) {
                dot4(offset, xv, xd, t, blocks, out, t * outStride + r, outStride, lanes);
            }
            for (; t < tokens; t++) {
                out[t * outStride + r] = dot(offset, xs, xd, t * cols, t * blocks, blocks, lanes);
            }
        }
    }

    /** Dots of one row with tokens {@code t..t+3}, written to {@code out[at + k*stride]}. */
    private void dot4(long offset, float[] xv, float[] xd, int t, int blocks, float[] out, int at, int stride, float[] lanes) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        int x0 = t * cols;
        int d0 = t * blocks;
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            float d = halfAt(o);
            FloatVector w0 = (FloatVector) ByteVector.fromMemorySegment(B, memory, o + 2, LE).convertShape(VectorOperators.B2F, F, 0);
            FloatVector w1 = (FloatVector) ByteVector.fromMemorySegment(B, memory, o + 18, LE).convertShape(VectorOperators.B2F, F, 0);
            int xi = x0 + b * 32;
            int di = d0 + b;
            acc0 = w1.fma(FloatVector.fromArray(F, xv, xi + 16), w0.mul(FloatVector.fromArray(F, xv, xi)))
                    .fma(FloatVector.broadcast(F, d * xd[di]), acc0);
            acc1 = w1.fma(FloatVector.fromArray(F, xv, xi + cols + 16), w0.mul(FloatVector.fromArray(F, xv, xi + cols)))
                    .fma(FloatVector.broadcast(F, d * xd[di + blocks]), acc1);
            acc2 = w1.fma(FloatVector.fromArray(F, xv, xi + 2 * cols + 16), w0.mul(FloatVector.fromArray(F, xv, xi + 2 * cols)))
                    .fma(FloatVector.broadcast(F, d * xd[di + 2 * blocks]), acc2);
            acc3 = w1.fma(FloatVector.fromArray(F, xv, xi + 3 * cols + 16), w0.mul(FloatVector.fromArray(F, xv, xi + 3 * cols)))
                    .fma(FloatVector.broadcast(F, d * xd[di + 3 * blocks]), acc3);
        }
        out[at] = sumLanes(acc0, lanes);
        out[at + stride] = sumLanes(acc1, lanes);
        out[at + 2 * stride] = sumLanes(acc2, lanes);
        out[at + 3 * stride] = sumLanes(acc3, lanes);
    }

    /**
     * One token: int8 x int8 products in 16-bit lanes (at most 128 * 127, exact), element i and
     * element i+16 of a block summed in lane i (still exact in 16 bits), then one conversion and
     * one scaled add per block. About 1.4x faster than widening both operands to floats; a batch
     * still uses floats (see {@link #dot4}), where one widened weight block serves four tokens.
     * Both pair the same elements in the same lanes, so a token gives bit for bit the same result
     * alone as in a batch: a prompt in one pass and the same tokens one by one agree exactly.
     */
    private float dot(long offset, short[] xs, float[] xd, int xBase, int dBase, int blocks, float[] lanes) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            int xi = xBase + b * 32;
            ShortVector lo = (ShortVector) ByteVector.fromMemorySegment(B, memory, o + 2, LE)
                    .convertShape(VectorOperators.B2S, S, 0);
            ShortVector hi = (ShortVector) ByteVector.fromMemorySegment(B, memory, o + 18, LE)
                    .convertShape(VectorOperators.B2S, S, 0);
            ShortVector p = lo.mul(ShortVector.fromArray(S, xs, xi)).add(hi.mul(ShortVector.fromArray(S, xs, xi + 16)));
            acc = floats((IntVector) p.convertShape(VectorOperators.S2I, I, 0))
                    .fma(FloatVector.broadcast(F, halfAt(o) * xd[dBase + b]), acc);
        }
        return sumLanes(acc, lanes);
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
