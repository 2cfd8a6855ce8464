package io.llmswarm.engine.tensor;

import java.lang.foreign.Arena;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_K weights packed by groups of {@link #L} rows. Per group and super-block of 256 ({@code 152 L}
 * bytes against the file's {@code 144 L}):
 * <pre>
 *   d     L floats            (fp16 in the file)
 *   dmin  L floats
 *   sc    8 x L bytes         sub-block scales, unpacked from 6 bits
 *   m     8 x L bytes         sub-block mins
 *   qs    4 chunks x 32 x L bytes: byte k of chunk c holds a row's value k of sub-block 2c (low
 *         nibble) and of sub-block 2c + 1 (high nibble), as in ggml's block
 * </pre>
 * Dots follow {@link KQuantPanel}'s formula.
 */
final class PackedQ4K extends PackedMatrix {
    private static final VectorSpecies<Integer> I = KQuantPanel.I;
    private static final int SOURCE_BLOCK = 144;
    private static final long BLOCK_BYTES = 152L * L;
    private static final long SCALES = 8L * L;
    private static final long MINS = 16L * L;
    private static final long QS = 24L * L;

    private final int blocks;

    PackedQ4K(Q4KMatrix source, Arena arena) {
        super(source.rows, source.cols, BLOCK_BYTES * (source.cols / 256), arena);
        this.blocks = cols / 256;
        packBlocks(source, SOURCE_BLOCK, (int) BLOCK_BYTES, (in, at, lane, block) -> {
            KQuantPanel.packHeader(in, at, lane, block);
            for (int k = 0; k < 128; k++) {
                block[(int) QS + k * L + lane] = in[at + 16 + k];
            }
        });
    }

    /**
     * One token: per chunk of 64 values, four float partial sums (exact: a sub-block's dot is at
     * most 32 * 15 * 127), scaled by the two sub-blocks' scales (exact: at most 2 * 63 * 32 * 15 *
     * 127 &lt; 2^24) and added in int; the mins in a pass of their own.
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
                FloatVector lo0 = FloatVector.zero(F);
                FloatVector hi0 = FloatVector.zero(F);
                FloatVector lo1 = FloatVector.zero(F);
                FloatVector hi1 = FloatVector.zero(F);
                long q = o + QS + 32L * L * c;
                int xi = xb + 64 * c;
                for (int k = 0; k < 32; k += 2) {
                    IntVector n = nibblePairs(q + (long) k * L);
                    IntVector m = nibblePairs(q + (long) (k + 1) * L);
                    lo0 = floats(n.and(0x0F)).fma(FloatVector.broadcast(F, xv[xi + k]), lo0);
                    hi0 = floats(n.lanewise(VectorOperators.LSHR, 4)).fma(FloatVector.broadcast(F, xv[xi + k + 32]), hi0);
                    lo1 = floats(m.and(0x0F)).fma(FloatVector.broadcast(F, xv[xi + k + 1]), lo1);
                    hi1 = floats(m.lanewise(VectorOperators.LSHR, 4)).fma(FloatVector.broadcast(F, xv[xi + k + 33]), hi1);
                }
                FloatVector scLo = signedBytes(o + SCALES + 2L * c * L);
                FloatVector scHi = signedBytes(o + SCALES + (2L * c + 1) * L);
                scaled = scaled.add(KQuantPanel.ints(hi0.add(hi1).fma(scHi, lo0.add(lo1).mul(scLo))));
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
                for (int k = 0; k < 32; k++) {
                    IntVector n = nibblePairs(q + (long) k * L);
                    floats(n.and(0x0F)).mul(scLo).intoArray(values, v + k * L);
                    floats(n.lanewise(VectorOperators.LSHR, 4)).mul(scHi).intoArray(values, v + (k + 32) * L);
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

    private static FloatVector floats(IntVector v) {
        return (FloatVector) v.convertShape(VectorOperators.I2F, F, 0);
    }
}
