package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Q5_0 weights (blocks of 32: fp16 d, 32 high bits as a little-endian uint32, 16 bytes of
 * nibbles; value j = d * ((nibble | highBit(j) << 4) - 16), value j+16 uses bit j+16) times
 * Q8_0 activations; multiplied by {@link PackedQ50}'s kernels.
 */
final class Q50Matrix extends SegmentMatrix {
    private static final int BLOCK_BYTES = 22;

    Q50Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q5_0, data, rows, cols);
    }

    @Override
    PackedMatrix packedCopy(Arena arena) {
        return new PackedQ50(this, arena);
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
