package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * IEEE half weights times activations rounded to half. The vector kernel widens halves with
 * integer operations (exact for finite values, including subnormals; infinities and NaNs in
 * weights are not supported).
 */
final class F16Matrix extends SegmentMatrix {
    /** 2^112: moves a half's exponent bias (15) to a float's (127). */
    private static final float EXPONENT_SHIFT = 0x1p112f;

    F16Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.F16, data, rows, cols);
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
            long o = offset + 2L * i;
            acc0 = widen(o).fma(FloatVector.fromArray(F, xv, xBase + i), acc0);
            acc1 = widen(o + 32).fma(FloatVector.fromArray(F, xv, xBase + i + 16), acc1);
        }
        float sum = sumLanes(acc0.add(acc1), lanes);
        for (; i < cols; i++) {
            sum += halfAt(offset + 2L * i) * xv[xBase + i];
        }
        return sum;
    }

    /** 16 halves at {@code o} as floats. */
    private FloatVector widen(long o) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, memory, o, LE).convertShape(VectorOperators.S2I, I, 0);
        FloatVector magnitude = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(EXPONENT_SHIFT);
        IntVector sign = h.lanewise(VectorOperators.LSHL, 16).and(0x80000000);
        return magnitude.reinterpretAsInts().or(sign).reinterpretAsFloats();
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
