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
    void multiplyRows(ActivationBatch x, float[] out, int outStride, int rowStart, int rowEnd) {
        float[] xv = x.values();
        for (int r = rowStart; r < rowEnd; r++) {
            for (int t = 0; t < x.rows(); t++) {
                out[t * outStride + r] = dot(r * rowBytes, xv, t * cols);
            }
        }
    }

    private float dot(long offset, float[] xv, int xBase) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int i = 0;
        for (; i + 32 <= cols; i += 32) {
            long o = offset + 4L * i;
            acc0 = FloatVector.fromMemorySegment(F, data, o, LE).fma(FloatVector.fromArray(F, xv, xBase + i), acc0);
            acc1 = FloatVector.fromMemorySegment(F, data, o + 64, LE).fma(FloatVector.fromArray(F, xv, xBase + i + 16), acc1);
        }
        float sum = sumLanes(acc0.add(acc1));
        for (; i < cols; i++) {
            sum += data.get(FLOAT_LE, offset + 4L * i) * xv[xBase + i];
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
