package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Q6_K weights (super-blocks of 256: 128 bytes of low nibbles, 64 bytes of 2-bit highs, 16 int8
 * scales, fp16 d; value = d * scale * (q - 32), one scale per 16 values) times Q8_K activations.
 * Each half of 128 values uses 64 low bytes and 32 high bytes: value {@code 32p + l} (p = 0..3)
 * takes the low or high nibble of byte {@code l + 32(p & 1)} and bits {@code 2p} of
 * {@code qh[l]}; its scale is {@code scales[l/16 + 2p]}.
 */
final class Q6KMatrix extends SegmentMatrix {
    private static final int BLOCK_BYTES = 210;

    Q6KMatrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q6_K, data, rows, cols);
    }

    @Override
    PackedMatrix packedCopy(Arena arena) {
        return new PackedQ6K(this, arena);
    }

    private int quant(long o, int i) {
        int n = i / 128;
        int p = (i % 128) / 32;
        int l = i % 32;
        int low = unsignedByte(o + 64L * n + l + 32 * (p & 1));
        int nibble = p < 2 ? low & 0x0F : low >>> 4;
        int high = (unsignedByte(o + 128 + 32L * n + l) >>> (2 * p)) & 3;
        return (nibble | high << 4) - 32;
    }

    private int scale(long o, int i) {
        int n = i / 128;
        int p = (i % 128) / 32;
        int l = i % 32;
        return signedByte(o + 192 + 8L * n + l / 16 + 2 * p);
    }

    @Override
    float referenceDot(int row, ActivationBatch x, int t) {
        int blocks = cols / 256;
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
            long o = row * rowBytes + (long) b * BLOCK_BYTES;
            int scaled = 0;
            for (int i = 0; i < 256; i += 16) {
                int dot = 0;
                for (int k = i; k < i + 16; k++) {
                    dot += quant(o, k) * (int) x.values()[t * cols + b * 256 + k];
                }
                scaled += scale(o, i) * dot;
            }
            sum += half(o + 208) * x.scales()[t * blocks + b] * scaled;
        }
        return sum;
    }

    @Override
    void dequantize(long offset, float[] dst, int dstOffset) {
        for (int b = 0; b < cols / 256; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            float d = half(o + 208);
            for (int i = 0; i < 256; i++) {
                dst[dstOffset + b * 256 + i] = d * scale(o, i) * quant(o, i);
            }
        }
    }
}
