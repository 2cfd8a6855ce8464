package io.llmswarm.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * F32 weights packed by groups of {@link #L} rows: column by column, {@code L} floats each (row
 * {@code g*L + i} in lane {@code i}; rows past the end are zeros). Dots follow
 * {@link FloatPanel}'s formula.
 */
final class PackedF32 extends PackedMatrix {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long COLUMN_BYTES = 4L * L;

    PackedF32(F32Matrix source, Arena arena) {
        super(source.rows, source.cols, COLUMN_BYTES * source.cols, arena);
        float[] row = new float[cols];
        float[] group = new float[cols * L];
        for (int g = 0; g < groups; g++) {
            Arrays.fill(group, 0f);
            for (int lane = 0; lane < L && g * L + lane < rows; lane++) {
                MemorySegment.copy(source.data, FLOAT, (g * L + lane) * source.rowBytes, row, 0, cols);
                for (int k = 0; k < cols; k++) {
                    group[k * L + lane] = row[k];
                }
            }
            MemorySegment.copy(group, 0, packed, FLOAT, g * groupBytes, group.length);
        }
    }

    /** One token: {@link FloatPanel}'s four chains, read straight from the packed group. */
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
            c0 = column(o).fma(FloatVector.broadcast(F, xv[xi + k]), c0);
            c1 = column(o + COLUMN_BYTES).fma(FloatVector.broadcast(F, xv[xi + k + 1]), c1);
            c2 = column(o + 2 * COLUMN_BYTES).fma(FloatVector.broadcast(F, xv[xi + k + 2]), c2);
            c3 = column(o + 3 * COLUMN_BYTES).fma(FloatVector.broadcast(F, xv[xi + k + 3]), c3);
        }
        if (k < cols) {
            c0 = column(o).fma(FloatVector.broadcast(F, xv[xi + k]), c0);
        }
        if (k + 1 < cols) {
            c1 = column(o + COLUMN_BYTES).fma(FloatVector.broadcast(F, xv[xi + k + 1]), c1);
        }
        if (k + 2 < cols) {
            c2 = column(o + 2 * COLUMN_BYTES).fma(FloatVector.broadcast(F, xv[xi + k + 2]), c2);
        }
        c0.add(c1).add(c2.add(c3)).intoArray(result, 0);
    }

    private static FloatVector column(long address) {
        return FloatVector.fromMemorySegment(F, MEMORY, address, ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    void fillPanel(int g, Panel panel) {
        FloatPanel.ensure(panel, cols);
        MemorySegment.copy(packed, FLOAT, g * groupBytes, panel.values, 0, cols * L);
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
