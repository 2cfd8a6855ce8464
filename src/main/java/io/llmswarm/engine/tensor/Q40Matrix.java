package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

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
    PackedMatrix packedCopy(Arena arena) {
        return new PackedQ40(this, arena);
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
