package io.llmswarm.engine.tensor;

import java.lang.foreign.Arena;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q5_K weights packed by groups of {@link #L} rows. Per group and super-block of 256 ({@code 184 L}
 * bytes against the file's {@code 176 L}): as {@link PackedQ5K}, with the high bits between the
 * mins and the nibbles:
 * <pre>
 *   d, dmin, sc, m   as Q4_K
 *   qh    32 x L bytes: byte k holds a row's fifth bits of value k of every sub-block (bit j for
 *         sub-block j), as in ggml's block
 *   qs    4 chunks x 32 x L bytes, as Q4_K
 * </pre>
 * Dots follow {@link KQuantPanel}'s formula.
 */
final class PackedQ5K extends PackedMatrix {
    private static final VectorSpecies<Integer> I = KQuantPanel.I;
    private static final int SOURCE_BLOCK = 176;
    private static final long BLOCK_BYTES = 184L * L;
    private static final long SCALES = 8L * L;
    private static final long MINS = 16L * L;
    private static final long QH = 24L * L;
    private static final long QS = 56L * L;

    private final int blocks;

    PackedQ5K(Q5KMatrix source, Arena arena) {
        super(source.rows, source.cols, BLOCK_BYTES * (source.cols / 256), arena);
        this.blocks = cols / 256;
        packBlocks(source, SOURCE_BLOCK, (int) BLOCK_BYTES, (in, at, lane, block) -> {
            KQuantPanel.packHeader(in, at, lane, block);
            for (int k = 0; k < 32; k++) {
                block[(int) QH + k * L + lane] = in[at + 16 + k];
            }
            for (int k = 0; k < 128; k++) {
                block[(int) QS + k * L + lane] = in[at + 48 + k];
            }
        });
    }

    /**
     * One token: per chunk of 64 values, two float partial sums (exact: at most 32 * 31 * 127
     * each), scaled by the sub-blocks' scales (exact: at most 2 * 63 * 32 * 31 * 127 &lt; 2^24)
     * and added in int; the mins in a pass of their own.
     */
    @Override
    void dots(ActivationBatch x, int t, int g, float[] result) {
        float[] xv = x.values();
        float[] xd = x.scales();
        long o = base + g * groupBytes;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, o += BLOCK_BYTES) {
            IntVector scaled = IntVector.zero(I);
            int xb = t * cols + b * 256;
            for (int c = 0; c < 4; c++) {
                FloatVector lo = FloatVector.zero(F);
                FloatVector hi = FloatVector.zero(F);
                long q = o + QS + 32L * L * c;
                long qh = o + QH;
                int xi = xb + 64 * c;
                // A vector of shift counts: a shift by a variable int was twice as slow (package notes).
                IntVector shift = IntVector.broadcast(I, 2 * c);
                for (int k = 0; k < 32; k++) {
                    IntVector n = nibblePairs(q + (long) k * L);
                    IntVector h = nibblePairs(qh + (long) k * L).lanewise(VectorOperators.LSHR, shift);
                    lo = floats(low(n, h)).fma(FloatVector.broadcast(F, xv[xi + k]), lo);
                    hi = floats(high(n, h)).fma(FloatVector.broadcast(F, xv[xi + k + 32]), hi);
                }
                FloatVector scLo = signedBytes(o + SCALES + 2L * c * L);
                FloatVector scHi = signedBytes(o + SCALES + (2L * c + 1) * L);
                scaled = scaled.add(KQuantPanel.ints(hi.fma(scHi, lo.mul(scLo))));
            }
            FloatVector d = FloatVector.fromMemorySegment(F, MEMORY, o, ByteOrder.LITTLE_ENDIAN);
            acc = floats(scaled).fma(d.mul(xd[t * blocks + b]), acc);
        }
        acc.intoArray(result, 0);
        KQuantPanel.addPackedMins(base + g * groupBytes, BLOCK_BYTES, x, t, result);
    }

    @Override
    void fillPanel(int g, Panel panel) {
        float[] values = panel.values;
        float[] scales = panel.scales;
        long o = base + g * groupBytes;
        for (int b = 0; b < blocks; b++, o += BLOCK_BYTES) {
            int s = b * KQuantPanel.SCALES * L;
            FloatVector.fromMemorySegment(F, MEMORY, o, ByteOrder.LITTLE_ENDIAN).intoArray(scales, s);
            FloatVector.fromMemorySegment(F, MEMORY, o + 4L * L, ByteOrder.LITTLE_ENDIAN).intoArray(scales, s + L);
            for (int j = 0; j < 8; j++) {
                signedBytes(o + MINS + (long) j * L).intoArray(scales, s + (2 + j) * L);
            }
            for (int c = 0; c < 4; c++) {
                FloatVector scLo = signedBytes(o + SCALES + 2L * c * L);
                FloatVector scHi = signedBytes(o + SCALES + (2L * c + 1) * L);
                long q = o + QS + 32L * L * c;
                int v = (b * 256 + c * 64) * L;
                IntVector shift = IntVector.broadcast(I, 2 * c);
                for (int k = 0; k < 32; k++) {
                    IntVector n = nibblePairs(q + (long) k * L);
                    IntVector h = nibblePairs(o + QH + (long) k * L).lanewise(VectorOperators.LSHR, shift);
                    floats(low(n, h)).mul(scLo).intoArray(values, v + k * L);
                    floats(high(n, h)).mul(scHi).intoArray(values, v + (k + 32) * L);
                }
            }
        }
    }

    @Override
    void panelDots8(Panel panel, ActivationBatch x, int t, float[] result) {
        KQuantPanel.dots8(panel, x, t, result);
    }

    @Override
    void panelDots1(Panel panel, ActivationBatch x, int t, float[] result) {
        KQuantPanel.dots1(panel, x, t, result);
    }

    private static IntVector nibblePairs(long address) {
        return (IntVector) ByteVector.fromMemorySegment(ROW_BYTES, MEMORY, address, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
    }

    /** The low nibbles with their fifth bits from bit 0 of {@code h}. */
    private static IntVector low(IntVector n, IntVector h) {
        return n.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10));
    }

    /** The high nibbles with their fifth bits from bit 1 of {@code h}. */
    private static IntVector high(IntVector n, IntVector h) {
        return n.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10));
    }

    private static FloatVector floats(IntVector v) {
        return (FloatVector) v.convertShape(VectorOperators.I2F, F, 0);
    }
}
