package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * bfloat16 weights times activations rounded to bfloat16 (a bf16 is the top half of a float);
 * multiplied by {@link PackedBf16}'s kernels.
 */
final class Bf16Matrix extends SegmentMatrix {

    Bf16Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.BF16, data, rows, cols);
    }

    @Override
    PackedMatrix packedCopy(Arena arena) {
        return new PackedBf16(this, arena);
    }

    private float bf16(long o) {
        return Float.intBitsToFloat(data.get(SHORT_LE, o) << 16);
    }

    @Override
    float referenceDot(int row, ActivationBatch x, int t) {
        float sum = 0;
        for (int i = 0; i < cols; i++) {
            sum += bf16(row * rowBytes + 2L * i) * x.values()[t * cols + i];
        }
        return sum;
    }

    @Override
    void dequantize(long offset, float[] dst, int dstOffset) {
        for (int i = 0; i < cols; i++) {
            dst[dstOffset + i] = bf16(offset + 2L * i);
        }
    }
}
