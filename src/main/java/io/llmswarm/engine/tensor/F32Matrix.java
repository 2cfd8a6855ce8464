package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** Float32 weights times float32 activations. */
final class F32Matrix extends SegmentMatrix {

    F32Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.F32, data, rows, cols);
    }

    @Override
    void multiplyRows(ActivationBatch x, int tokenStart, int tokenEnd, float[] out, int outStride, int rowStart, int rowEnd) {
        float[] lanes = new float[16];
        float[] xv = x.values();
        for (int r = rowStart; r < rowEnd; r++) {
            for (int t = tokenStart; t < tokenEnd; t++) {
                out[t * outStride + r] = dot(base + r * rowBytes, xv, t * cols, lanes);
            }
        }
    }

    private float dot(long offset, float[] xv, int xBase, float[] lanes) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int i = 0;
        for (; i + 32 <= cols; i += 32) {
            long o = offset + 4L * i;
            acc0 = FloatVector.fromMemorySegment(F, memory, o, LE).fma(FloatVector.fromArray(F, xv, xBase + i), acc0);
            acc1 = FloatVector.fromMemorySegment(F, memory, o + 64, LE).fma(FloatVector.fromArray(F, xv, xBase + i + 16), acc1);
        }
        float sum = sumLanes(acc0.add(acc1), lanes);
        for (; i < cols; i++) {
            sum += memory.get(FLOAT_LE, offset + 4L * i) * xv[xBase + i];
        }
        return sum;
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
