package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Q4_1 weights (blocks of 32: fp16 d, fp16 m, 16 bytes of nibbles; value = d * nibble + m) times
 * Q8_1 activations: {@code d*dx*sum(q*qx) + m*sx} per block; multiplied by {@link PackedQ41}'s
 * kernels.
 */
final class Q41Matrix extends SegmentMatrix {
    private static final int BLOCK_BYTES = 20;

    Q41Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q4_1, data, rows, cols);
    }

    @Override
    PackedMatrix packedCopy(Arena arena) {
        return new PackedQ41(this, arena);
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
