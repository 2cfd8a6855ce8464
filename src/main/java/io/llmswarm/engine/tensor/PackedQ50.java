package io.llmswarm.engine.tensor;

import java.lang.foreign.Arena;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q5_0 weights packed by groups of {@link #L} rows. Per group and block of 32: the rows' scales
 * as {@code L} floats, their 32 high bits as {@code L} ints (bit {@code j} belongs to value
 * {@code j}, as in ggml's {@code qh}), then 16 columns of {@code L} bytes, each byte holding a
 * row's low nibbles of values {@code k} (low) and {@code k + 16} (high). Value {@code j} is
 * {@code d * ((nibble | bit << 4) - 16)}.
 *
 * <p>Dots follow {@link Block32Panel}'s formula: the block's integer dot exactly, then
 * {@code total = fma(dot, d * dx, total)}; the panel holds the quants minus 16.
 */
final class PackedQ50 extends PackedMatrix {
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final int SOURCE_BLOCK = 22;
    private static final long BLOCK_BYTES = 4L * L + 4L * L + 16L * L;

    private final int blocks;

    PackedQ50(Q50Matrix source, Arena arena) {
        super(source.rows, source.cols, BLOCK_BYTES * (source.cols / 32), arena);
        this.blocks = cols / 32;
        // Rows past the end keep scale 0, which makes their quants (all 0 - 16) count for nothing.
        packBlocks(source, SOURCE_BLOCK, (int) BLOCK_BYTES, (in, at, lane, block) -> {
            putFloat(block, 4 * lane, half(in, at));
            putInt(block, 4 * (L + lane), intAt(in, at + 2));
            for (int k = 0; k < 16; k++) {
                block[8 * L + k * L + lane] = in[at + 6 + k];
            }
        });
    }

    /**
     * One token: sums the unsigned 5-bit quants times the activations' quants, then subtracts
     * {@code 16 * sum(quants)}: the same exact integer as llama.cpp's {@code sum((q - 16) * x)},
     * which the panel computes.
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
            IntVector high = IntVector.fromMemorySegment(I, MEMORY, o + 4L * L, ByteOrder.LITTLE_ENDIAN);
            long q = o + 8L * L;
            int xi = xBase + b * 32;
            for (int k = 0; k < 16; k += 2) {
                IntVector v = nibblePairs(q + (long) k * L);
                IntVector u = nibblePairs(q + (long) (k + 1) * L);
                IntVector hv = high.lanewise(VectorOperators.LSHR, k);
                IntVector hu = high.lanewise(VectorOperators.LSHR, k + 1);
                s0 = floats(low(v, hv)).fma(FloatVector.broadcast(F, xv[xi + k]), s0);
                s1 = floats(high(v, hv)).fma(FloatVector.broadcast(F, xv[xi + k + 16]), s1);
                s2 = floats(low(u, hu)).fma(FloatVector.broadcast(F, xv[xi + k + 1]), s2);
                s3 = floats(high(u, hu)).fma(FloatVector.broadcast(F, xv[xi + k + 17]), s3);
            }
            FloatVector d = FloatVector.fromMemorySegment(F, MEMORY, o, ByteOrder.LITTLE_ENDIAN);
            int db = dBase + b;
            acc = s0.add(s1).add(s2.add(s3)).sub(16 * xsum[db]).fma(d.mul(xd[db]), acc);
        }
        acc.intoArray(result, 0);
    }

    /** Value {@code k} (0-15) unsigned: the low nibble, and bit 0 of {@code bits = qh >>> k} as bit 4. */
    private static IntVector low(IntVector nibbles, IntVector bits) {
        return nibbles.and(0x0F).or(bits.lanewise(VectorOperators.LSHL, 4).and(0x10));
    }

    /** Value {@code k + 16} unsigned: the high nibble, and bit 16 of {@code bits = qh >>> k} as bit 4. */
    private static IntVector high(IntVector nibbles, IntVector bits) {
        return nibbles.lanewise(VectorOperators.LSHR, 4).or(bits.lanewise(VectorOperators.LSHR, 12).and(0x10));
    }

    @Override
    void fillPanel(int g, Panel panel) {
        float[] values = panel.values;
        float[] scales = panel.scales;
        long o = base + g * groupBytes;
        for (int b = 0; b < blocks; b++, o += BLOCK_BYTES) {
            FloatVector.fromMemorySegment(F, MEMORY, o, ByteOrder.LITTLE_ENDIAN).intoArray(scales, b * L);
            IntVector high = IntVector.fromMemorySegment(I, MEMORY, o + 4L * L, ByteOrder.LITTLE_ENDIAN);
            long q = o + 8L * L;
            int v = b * 32 * L;
            for (int k = 0; k < 16; k++) {
                IntVector n = nibblePairs(q + (long) k * L);
                IntVector h = high.lanewise(VectorOperators.LSHR, k);
                floats(low(n, h)).sub(16f).intoArray(values, v + k * L);
                floats(high(n, h)).sub(16f).intoArray(values, v + (k + 16) * L);
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
