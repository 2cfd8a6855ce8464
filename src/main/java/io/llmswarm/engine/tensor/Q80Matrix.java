package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Q8_0 weights (blocks of 32: fp16 d, 32 int8 quants) times Q8_0 activations. */
final class Q80Matrix extends SegmentMatrix {
    private static final int BLOCK_BYTES = 34;

    Q80Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q8_0, data, rows, cols);
    }

    @Override
    PackedMatrix packedCopy(Arena arena) {
        return new PackedQ80(this, arena);
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
