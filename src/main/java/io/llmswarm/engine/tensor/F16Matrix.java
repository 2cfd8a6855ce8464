package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * IEEE half weights times activations rounded to half; multiplied by {@link PackedF16}'s kernels
 * (infinities and NaNs in weights are not supported there).
 */
final class F16Matrix extends SegmentMatrix {

    F16Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.F16, data, rows, cols);
    }

    @Override
    PackedMatrix packedCopy(Arena arena) {
        return new PackedF16(this, arena);
    }

    @Override
    float referenceDot(int row, ActivationBatch x, int t) {
        float sum = 0;
        for (int i = 0; i < cols; i++) {
            sum += half(row * rowBytes + 2L * i) * x.values()[t * cols + i];
        }
        return sum;
    }

    @Override
    void dequantize(long offset, float[] dst, int dstOffset) {
        for (int i = 0; i < cols; i++) {
            dst[dstOffset + i] = half(offset + 2L * i);
        }
    }
}
