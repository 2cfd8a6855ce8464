package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Q4_K weights (super-blocks of 256: fp16 d, fp16 dmin, 12 bytes of 6-bit scales and mins, 128
 * bytes of nibbles; each 64 values take 32 bytes, low nibbles first) times Q8_K activations:
 * {@code dx*d*sum(scale_j*dot_j) - dx*dmin*sum(min_j*bsum_j)}.
 */
final class Q4KMatrix extends SegmentMatrix {
    private static final int BLOCK_BYTES = 144;

    Q4KMatrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q4_K, data, rows, cols);
    }

    @Override
    PackedMatrix packedCopy(Arena arena) {
        return new PackedQ4K(this, arena);
    }

    private int quant(long o, int i) {
        int q = unsignedByte(o + 16 + 32L * (i / 64) + (i % 32));
        return (i % 64) < 32 ? q & 0x0F : q >>> 4;
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
