package io.llmswarm.engine.tensor;

import java.lang.foreign.Arena;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_0 weights packed by groups of {@link #L} rows. Per group and block of 32: the rows' scales
 * as {@code L} floats, then 16 columns of {@code L} bytes, each byte holding a row's nibbles of
 * values {@code k} (low) and {@code k + 16} (high), as in ggml's block.
 */
final class PackedQ40 extends PackedMatrix {
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final int SOURCE_BLOCK = 18;
    private static final long BLOCK_BYTES = 4L * L + 16L * L;

    private final int blocks;

    PackedQ40(Q40Matrix source, Arena arena) {
        super(source.rows, source.cols, BLOCK_BYTES * (source.cols / 32), arena);
        this.blocks = cols / 32;
        packBlocks(source, SOURCE_BLOCK, (int) BLOCK_BYTES, (in, at, lane, block) -> {
            putFloat(block, 4 * lane, half(in, at));
            for (int k = 0; k < 16; k++) {
                block[4 * L + k * L + lane] = in[at + 2 + k];
            }
        });
    }

    /**
     * One token: sums unsigned nibbles times quants, then subtracts {@code 8 * sum(quants)}: the
     * same exact integer as llama.cpp's {@code sum((q - 8) * x)}, which the panel computes.
     */
    @Override
    void dots(ActivationBatch x, int t, int g, float[] result) {
        float[] xv = x.values();
        float[] xd = x.scales();
        float[] xsum = x.quantSums();
        int xBase = t * cols;
        int dBase = t * blocks;
        long o = base + g * groupBytes;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, o += BLOCK_BYTES) {
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = FloatVector.zero(F);
            FloatVector s2 = FloatVector.zero(F);
            FloatVector s3 = FloatVector.zero(F);
            long q = o + 4L * L;
            int xi = xBase + b * 32;
            for (int k = 0; k < 16; k += 2) {
                IntVector v = nibblePairs(q + (long) k * L);
                IntVector u = nibblePairs(q + (long) (k + 1) * L);
                s0 = floats(v.and(0x0F)).fma(FloatVector.broadcast(F, xv[xi + k]), s0);
                s1 = floats(v.lanewise(VectorOperators.LSHR, 4)).fma(FloatVector.broadcast(F, xv[xi + k + 16]), s1);
                s2 = floats(u.and(0x0F)).fma(FloatVector.broadcast(F, xv[xi + k + 1]), s2);
                s3 = floats(u.lanewise(VectorOperators.LSHR, 4)).fma(FloatVector.broadcast(F, xv[xi + k + 17]), s3);
            }
            FloatVector d = FloatVector.fromMemorySegment(F, MEMORY, o, ByteOrder.LITTLE_ENDIAN);
            int db = dBase + b;
            acc = s0.add(s1).add(s2.add(s3)).sub(8 * xsum[db]).fma(d.mul(xd[db]), acc);
        }
        acc.intoArray(result, 0);
    }

    @Override
    void fillPanel(int g, Panel panel) {
        float[] values = panel.values;
        float[] scales = panel.scales;
        long o = base + g * groupBytes;
        for (int b = 0; b < blocks; b++, o += BLOCK_BYTES) {
            FloatVector.fromMemorySegment(F, MEMORY, o, ByteOrder.LITTLE_ENDIAN).intoArray(scales, b * L);
            long q = o + 4L * L;
            int v = b * 32 * L;
            for (int k = 0; k < 16; k++) {
                IntVector n = nibblePairs(q + (long) k * L);
                floats(n.and(0x0F)).sub(8f).intoArray(values, v + k * L);
                floats(n.lanewise(VectorOperators.LSHR, 4)).sub(8f).intoArray(values, v + (k + 16) * L);
            }
        }
    }

    @Override
    void panelDots8(Panel panel, ActivationBatch x, int t, float[] result) {
        Block32Panel.dots8(panel, x, t, result);
    }

    @Override
    void panelDots1(Panel panel, ActivationBatch x, int t, float[] result) {
        Block32Panel.dots1(panel, x, t, result);
    }

    private static IntVector nibblePairs(long address) {
        return (IntVector) ByteVector.fromMemorySegment(ROW_BYTES, MEMORY, address, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
    }

    private static FloatVector floats(IntVector v) {
        return (FloatVector) v.convertShape(VectorOperators.I2F, F, 0);
    }
}
