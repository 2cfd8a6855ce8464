package io.llmswarm.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * F16 weights packed by groups of {@link #L} rows: column by column, {@code L} halves each (row
 * {@code g*L + i} in lane {@code i}; rows past the end are zeros). Halves are widened with integer
 * operations (exact for finite values, subnormals included; infinities and NaNs in weights are
 * not supported). Dots follow {@link FloatPanel}'s formula.
 */
final class PackedF16 extends PackedMatrix {
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** {@code L} 16-bit lanes: one column of a group. */
    static final VectorSpecies<Short> HALVES = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    static final long COLUMN_BYTES = 2L * L;
    /** 2^112: moves a half's exponent bias (15) to a float's (127). */
    private static final float EXPONENT_SHIFT = 0x1p112f;

    PackedF16(F16Matrix source, Arena arena) {
        super(source.rows, source.cols, COLUMN_BYTES * source.cols, arena);
        packShorts(source, packed, groups, groupBytes);
    }

    /** Packs a matrix of 16-bit values (F16, BF16) column by column, {@code L} rows a column. */
    static void packShorts(SegmentMatrix source, MemorySegment packed, int groups, long groupBytes) {
        int cols = source.cols;
        short[] row = new short[cols];
        short[] group = new short[cols * L];
        for (int g = 0; g < groups; g++) {
            Arrays.fill(group, (short) 0);
            for (int lane = 0; lane < L && g * L + lane < source.rows; lane++) {
                MemorySegment.copy(source.data, SHORT, (g * L + lane) * source.rowBytes, row, 0, cols);
                for (int k = 0; k < cols; k++) {
                    group[k * L + lane] = row[k];
                }
            }
            MemorySegment.copy(group, 0, packed, SHORT, g * groupBytes, group.length);
        }
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

    /**
     * {@code L} halves at an absolute address as floats. Sign-extended to 32 bits and shifted
     * left by 13, a half {@code s eeeee m(10)} lands with its sign in bit 31 (and copies of it in
     * bits 28-30, masked off), its exponent in the float's low five exponent bits and its mantissa
     * at the top of the float's: a float {@code 2^-112} times the half's value, subnormals too.
     */
    private static FloatVector widen(long address) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(HALVES, MEMORY, address, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(EXPONENT_SHIFT);
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
