package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/** bfloat16 weights times activations rounded to bfloat16; a bf16 is the top half of a float. */
final class Bf16Matrix extends SegmentMatrix {

    Bf16Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.BF16, data, rows, cols);
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
            sum += bf16At(offset + 2L * i) * xv[xBase + i];
        }
        return sum;
    }

    private FloatVector widen(long o) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, memory, o, LE).convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private float bf16At(long address) {
        return Float.intBitsToFloat(memory.get(SHORT_LE, address) << 16);
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
