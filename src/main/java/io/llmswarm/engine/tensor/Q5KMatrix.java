package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
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
    void multiplyRows(ActivationBatch x, float[] out, int outStride, int rowStart, int rowEnd) {
        int blocks = cols / 256;
        for (int r = rowStart; r < rowEnd; r++) {
            for (int t = 0; t < x.rows(); t++) {
                out[t * outStride + r] = dot(r * rowBytes, x, t, blocks);
            }
        }
    }

    private float dot(long offset, ActivationBatch x, int t, int blocks) {
        float[] xv = x.values();
        int[] groupSums = x.groupSums();
        FloatVector acc = FloatVector.zero(F);
        float mins = 0;
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            float xd = x.scales()[t * blocks + b];
            int xBase = t * cols + b * 256;
            int gBase = (t * blocks + b) * 16;
            ByteVector ha = ByteVector.fromMemorySegment(B, data, o + 16, LE);
            ByteVector hb = ByteVector.fromMemorySegment(B, data, o + 32, LE);
            // Per lane at most 8 sub-blocks * 63 * 2 * 31 * 128: exact in float.
            FloatVector isum = FloatVector.zero(F);
            int minSum = 0;
            for (int j = 0; j < 4; j++) {
                long q = o + 48 + 32L * j;
                int xi = xBase + 64 * j;
                ByteVector qa = ByteVector.fromMemorySegment(B, data, q, LE);
                ByteVector qb = ByteVector.fromMemorySegment(B, data, q + 16, LE);
                FloatVector lo = widen(qa.and((byte) 0x0F).or(fifthBit(ha, 2 * j))).mul(FloatVector.fromArray(F, xv, xi));
                lo = widen(qb.and((byte) 0x0F).or(fifthBit(hb, 2 * j))).fma(FloatVector.fromArray(F, xv, xi + 16), lo);
                FloatVector hi = widen(qa.lanewise(VectorOperators.LSHR, 4).or(fifthBit(ha, 2 * j + 1)))
                        .mul(FloatVector.fromArray(F, xv, xi + 32));
                hi = widen(qb.lanewise(VectorOperators.LSHR, 4).or(fifthBit(hb, 2 * j + 1)))
                        .fma(FloatVector.fromArray(F, xv, xi + 48), hi);
                isum = lo.fma(FloatVector.broadcast(F, KQuantScales.scale(data, o + 4, 2 * j)), isum);
                isum = hi.fma(FloatVector.broadcast(F, KQuantScales.scale(data, o + 4, 2 * j + 1)), isum);
                int g = gBase + 4 * j;
                minSum += KQuantScales.min(data, o + 4, 2 * j) * (groupSums[g] + groupSums[g + 1])
                        + KQuantScales.min(data, o + 4, 2 * j + 1) * (groupSums[g + 2] + groupSums[g + 3]);
            }
            acc = isum.fma(FloatVector.broadcast(F, half(o) * xd), acc);
            mins += half(o + 2) * xd * minSum;
        }
        return sumLanes(acc) - mins;
    }

    /** Bit {@code bit} of each high-bit byte, moved to value 16. */
    private static ByteVector fifthBit(ByteVector high, int bit) {
        return high.lanewise(VectorOperators.LSHR, bit).and((byte) 1).lanewise(VectorOperators.LSHL, 4);
    }

    private static FloatVector widen(ByteVector v) {
        return (FloatVector) v.convertShape(VectorOperators.B2F, F, 0);
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
