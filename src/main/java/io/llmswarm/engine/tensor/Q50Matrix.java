package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q5_0 weights (blocks of 32: fp16 d, 32 high bits as a little-endian uint32, 16 bytes of
 * nibbles; value j = d * ((nibble | highBit(j) << 4) - 16), value j+16 uses bit j+16) times
 * Q8_0 activations.
 */
final class Q50Matrix extends SegmentMatrix {
    private static final int BLOCK_BYTES = 22;
    private static final IntVector LOW_SHIFTS = IntVector.fromArray(I, new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, 0);
    private static final IntVector HIGH_SHIFTS = LOW_SHIFTS.add(16);

    Q50Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q5_0, data, rows, cols);
    }

    @Override
    void multiplyRows(ActivationBatch x, int tokenStart, int tokenEnd, float[] out, int outStride, int rowStart, int rowEnd) {
        float[] lanes = new float[16];
        float[] xv = x.values();
        float[] xd = x.scales();
        int blocks = cols / 32;
        for (int r = rowStart; r < rowEnd; r++) {
            for (int t = tokenStart; t < tokenEnd; t++) {
                out[t * outStride + r] = dot(r * rowBytes, xv, xd, t * cols, t * blocks, blocks, lanes);
            }
        }
    }

    private float dot(long offset, float[] xv, float[] xd, int xBase, int dBase, int blocks, float[] lanes) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            int xi = xBase + b * 32;
            IntVector high = IntVector.broadcast(I, data.get(INT_LE, o + 2));
            IntVector q = (IntVector) ByteVector.fromMemorySegment(B, data, o + 6, LE).convertShape(VectorOperators.B2I, I, 0);
            IntVector lo = q.and(0x0F).or(high.lanewise(VectorOperators.LSHR, LOW_SHIFTS).and(1).lanewise(VectorOperators.LSHL, 4)).sub(16);
            IntVector hi = q.lanewise(VectorOperators.LSHR, 4).and(0x0F)
                    .or(high.lanewise(VectorOperators.LSHR, HIGH_SHIFTS).and(1).lanewise(VectorOperators.LSHL, 4)).sub(16);
            FloatVector w0 = (FloatVector) lo.convertShape(VectorOperators.I2F, F, 0);
            FloatVector w1 = (FloatVector) hi.convertShape(VectorOperators.I2F, F, 0);
            FloatVector p = w1.fma(FloatVector.fromArray(F, xv, xi + 16), w0.mul(FloatVector.fromArray(F, xv, xi)));
            acc = p.fma(FloatVector.broadcast(F, half(o) * xd[dBase + b]), acc);
        }
        return sumLanes(acc, lanes);
    }

    private int value(long o, int highBits, int j) {
        int q = unsignedByte(o + 6 + (j & 15));
        int nibble = j < 16 ? q & 0x0F : q >>> 4;
        return (nibble | ((highBits >>> j) & 1) << 4) - 16;
    }

    @Override
    float referenceDot(int row, ActivationBatch x, int t) {
        float[] xv = x.values();
        int blocks = cols / 32;
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
            long o = row * rowBytes + (long) b * BLOCK_BYTES;
            int highBits = data.get(INT_LE, o + 2);
            int isum = 0;
            for (int j = 0; j < 32; j++) {
                isum += value(o, highBits, j) * (int) xv[t * cols + b * 32 + j];
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
            int highBits = data.get(INT_LE, o + 2);
            for (int j = 0; j < 32; j++) {
                dst[dstOffset + b * 32 + j] = value(o, highBits, j) * d;
            }
        }
    }
}
