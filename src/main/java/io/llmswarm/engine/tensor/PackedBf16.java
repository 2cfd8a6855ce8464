package io.llmswarm.engine.tensor;

import java.lang.foreign.Arena;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * BF16 weights packed as {@link PackedF16} packs halves: column by column, {@code L} rows a
 * column. A bf16 is the top half of a float, so widening is one shift. Dots follow
 * {@link FloatPanel}'s formula.
 */
final class PackedBf16 extends PackedMatrix {
    private static final long COLUMN_BYTES = PackedF16.COLUMN_BYTES;

    PackedBf16(Bf16Matrix source, Arena arena) {
        super(source.rows, source.cols, COLUMN_BYTES * source.cols, arena);
        PackedF16.packShorts(source, packed, groups, groupBytes);
    }

    /** One token: {@link FloatPanel}'s four chains, each column widened as it is read. */
    @Override
    void dots(ActivationBatch x, int t, int g, float[] result) {
        float[] xv = x.values();
        int xi = t * cols;
        long o = base + g * groupBytes;
        FloatVector c0 = FloatVector.zero(F);
        FloatVector c1 = FloatVector.zero(F);
        FloatVector c2 = FloatVector.zero(F);
        FloatVector c3 = FloatVector.zero(F);
        int k = 0;
        for (; k + 4 <= cols; k += 4, o += 4 * COLUMN_BYTES) {
            c0 = widen(o).fma(FloatVector.broadcast(F, xv[xi + k]), c0);
            c1 = widen(o + COLUMN_BYTES).fma(FloatVector.broadcast(F, xv[xi + k + 1]), c1);
            c2 = widen(o + 2 * COLUMN_BYTES).fma(FloatVector.broadcast(F, xv[xi + k + 2]), c2);
            c3 = widen(o + 3 * COLUMN_BYTES).fma(FloatVector.broadcast(F, xv[xi + k + 3]), c3);
        }
        if (k < cols) {
            c0 = widen(o).fma(FloatVector.broadcast(F, xv[xi + k]), c0);
        }
        if (k + 1 < cols) {
            c1 = widen(o + COLUMN_BYTES).fma(FloatVector.broadcast(F, xv[xi + k + 1]), c1);
        }
        if (k + 2 < cols) {
            c2 = widen(o + 2 * COLUMN_BYTES).fma(FloatVector.broadcast(F, xv[xi + k + 2]), c2);
        }
        c0.add(c1).add(c2.add(c3)).intoArray(result, 0);
    }

    /** {@code L} bf16 values at an absolute address as floats. */
    private static FloatVector widen(long address) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(PackedF16.HALVES, MEMORY, address, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, PackedF16.I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    @Override
    void fillPanel(int g, Panel panel) {
        FloatPanel.ensure(panel, cols);
        float[] values = panel.values;
        long o = base + g * groupBytes;
        for (int k = 0; k < cols; k++, o += COLUMN_BYTES) {
            widen(o).intoArray(values, k * L);
        }
    }

    @Override
    void panelDots8(Panel panel, ActivationBatch x, int t, float[] result) {
        FloatPanel.dots8(panel, x, t, result);
    }

    @Override
    void panelDots1(Panel panel, ActivationBatch x, int t, float[] result) {
        FloatPanel.dots1(panel, x, t, result);
    }
}
