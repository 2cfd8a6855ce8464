package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
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
    void multiplyRows(ActivationBatch x, int tokenStart, int tokenEnd, float[] out, int outStride, int rowStart, int rowEnd) {
        float[] lanes = new float[16];
        int blocks = cols / 32;
        int tokens = tokenEnd;
        for (int r = rowStart; r < rowEnd; r++) {
            long offset = base + r * rowBytes;
            int t = tokenStart;
            // A batch (prompt): unpack each weight block once for four tokens.
            for (; t + 4 <= tokens; t += 4) {
                dot4(offset, x, t, blocks, out, t * outStride + r, outStride, lanes);
            }
            for (; t < tokens; t++) {
                out[t * outStride + r] = dot(offset, x, t * cols, t * blocks, blocks, lanes);
            }
        }
    }

    /** Dots of one row with tokens {@code t..t+3}, written to {@code out[at + k*stride]}. */
    private void dot4(long offset, ActivationBatch x, int t, int blocks, float[] out, int at, int stride, float[] lanes) {
        float[] xv = x.values();
        float[] xd = x.scales();
        float[] xsum = x.quantSums();
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        float off0 = 0;
        float off1 = 0;
        float off2 = 0;
        float off3 = 0;
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            float d = halfAt(o);
            IntVector q = (IntVector) ByteVector.fromMemorySegment(B, memory, o + 2, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            FloatVector w0 = (FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0);
            FloatVector w1 = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0);
            int xi = t * cols + b * 32;
            int di = t * blocks + b;
            float d0 = d * xd[di];
            float d1 = d * xd[di + blocks];
            float d2 = d * xd[di + 2 * blocks];
            float d3 = d * xd[di + 3 * blocks];
            acc0 = w1.fma(FloatVector.fromArray(F, xv, xi + 16), w0.mul(FloatVector.fromArray(F, xv, xi)))
                    .fma(FloatVector.broadcast(F, d0), acc0);
            acc1 = w1.fma(FloatVector.fromArray(F, xv, xi + cols + 16), w0.mul(FloatVector.fromArray(F, xv, xi + cols)))
                    .fma(FloatVector.broadcast(F, d1), acc1);
            acc2 = w1.fma(FloatVector.fromArray(F, xv, xi + 2 * cols + 16), w0.mul(FloatVector.fromArray(F, xv, xi + 2 * cols)))
                    .fma(FloatVector.broadcast(F, d2), acc2);
            acc3 = w1.fma(FloatVector.fromArray(F, xv, xi + 3 * cols + 16), w0.mul(FloatVector.fromArray(F, xv, xi + 3 * cols)))
                    .fma(FloatVector.broadcast(F, d3), acc3);
            off0 += d0 * xsum[di];
            off1 += d1 * xsum[di + blocks];
            off2 += d2 * xsum[di + 2 * blocks];
            off3 += d3 * xsum[di + 3 * blocks];
        }
        out[at] = sumLanes(acc0, lanes) - 8 * off0;
        out[at + stride] = sumLanes(acc1, lanes) - 8 * off1;
        out[at + 2 * stride] = sumLanes(acc2, lanes) - 8 * off2;
        out[at + 3 * stride] = sumLanes(acc3, lanes) - 8 * off3;
    }

    /**
     * Sums {@code d*dx*sum(q*qx)} with unsigned nibbles and subtracts {@code 8*d*dx*sum(qx)}
     * afterwards: the same value as llama.cpp's {@code d*dx*sum((q-8)*qx)}, with two fewer
     * vector operations per block.
     */
    private float dot(long offset, ActivationBatch x, int xBase, int dBase, int blocks, float[] lanes) {
        short[] xs = x.shortQuants();
        float[] xd = x.scales();
        float[] xsum = x.quantSums();
        FloatVector acc = FloatVector.zero(F);
        float offsets = 0;
        // One loop body, no helper: the JIT unrolls it and keeps the activations in registers.
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            float d = halfAt(o) * xd[dBase + b];
            int xi = xBase + b * 32;
            // Nibbles times quants in 16-bit lanes (at most 15 * 127, two summed): lane i holds
            // lo[i]*x[i] + hi[i]*x[i+16].
            ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B, memory, o + 2, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            ShortVector p = q.and((short) 0x0F).mul(ShortVector.fromArray(S, xs, xi))
                    .add(q.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S, xs, xi + 16)));
            acc = floats((IntVector) p.convertShape(VectorOperators.S2I, I, 0)).fma(FloatVector.broadcast(F, d), acc);
            offsets += d * xsum[dBase + b];
        }
        return sumLanes(acc, lanes) - 8 * offsets;
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
