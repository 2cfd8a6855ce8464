package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Float32 weights times float32 activations; multiplied by {@link PackedF32}'s kernels. */
final class F32Matrix extends SegmentMatrix {

    F32Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.F32, data, rows, cols);
    }

    @Override
    PackedMatrix packedCopy(Arena arena) {
        return new PackedF32(this, arena);
    }

    @Override
    float referenceDot(int row, ActivationBatch x, int t) {
        float sum = 0;
        for (int i = 0; i < cols; i++) {
            sum += data.get(FLOAT_LE, row * rowBytes + 4L * i) * x.values()[t * cols + i];
        }
        return sum;
    }

    @Override
    void dequantize(long offset, float[] dst, int dstOffset) {
        MemorySegment.copy(data, FLOAT_LE, offset, dst, dstOffset, cols);
    }
}
