package io.llmswarm.engine.tensor;

import java.lang.foreign.Arena;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q6_K weights packed by groups of {@link #L} rows, times Q8_K activations. Per group and
 * super-block of 256 values:
 * <ul>
 *   <li>{@code d}: {@code L} floats (from the fp16 at load time);</li>
 *   <li>the 16 int8 sub-block scales: 16 x {@code L} bytes (byte {@code j*L + lane} is scale
 *       {@code j} of row {@code lane});</li>
 *   <li>the quants, still six bits each: per sub-block of 16 values three words of {@code L}
 *       ints, one int per row, so one load is a word of every row of the group. Word {@code w}
 *       holds values {@code 5w..5w+3} at bits 0, 6, 12 and 18, value {@code 5w+4} at bits 26..31,
 *       and bits {@code 2w, 2w+1} of value 15 at bits 24..25.</li>
 * </ul>
 * 212 bytes per row and super-block, against the file's 210. Widening the quants to a byte each
 * (276 bytes, as Q8_0 is read) measured slower, in cache as well as from memory.
 *
 * <p>A field comes out of its word with one {@code and} and no shift: it converts to a float
 * exactly, as the quant times a power of two, and each field position has its own accumulator,
 * scaled back once per sub-block (exactly too). The top field takes one shift. So a value costs
 * an {@code and}, a conversion and a fused multiply-add.
 *
 * <p>The formula, the same in every path: per super-block the exact integer
 * {@code S = sum_j sc_j * sum_i (q_i - 32) * x_i} over its 16 sub-blocks (a scale times a
 * sub-block's dot is below 2^23 and exact in float; their sum may pass 2^24, so it is added in int
 * lanes), then {@code total = fma((float) S, d * dx, total)} super-block after super-block.
 *
 * <p>Hot methods call the Vector API directly: C2 stops inlining this class's own helpers once a
 * method is large (NodeCountInliningCutoff), and a vector that crosses a call is boxed.
 */
final class PackedQ6K extends PackedMatrix {
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final int SOURCE_BLOCK = 210;
    private static final long SCALES = 4L * L;
    private static final long QUANTS = SCALES + 16L * L;
    /** Bytes of one word of the group: an int per row. */
    private static final long WORD = 4L * L;
    /** Bytes of a sub-block's three words. */
    private static final long SUB_BLOCK = 3 * WORD;
    private static final long BLOCK_BYTES = QUANTS + 16 * SUB_BLOCK;
    /** Field {@code k} of a word reads as its quant times 2^(6k): these scale sums back. */
    private static final FloatVector C6 = FloatVector.broadcast(F, 0x1p-6f);
    private static final FloatVector C12 = FloatVector.broadcast(F, 0x1p-12f);
    private static final FloatVector C18 = FloatVector.broadcast(F, 0x1p-18f);
    private static final FloatVector C24 = FloatVector.broadcast(F, 0x1p-24f);

    /** Per kernel thread: the int sums of a panel tile. */
    private static final ThreadLocal<int[]> SUMS = ThreadLocal.withInitial(() -> new int[TILE * L]);

    private final int blocks;

    PackedQ6K(Q6KMatrix source, Arena arena) {
        super(source.rows, source.cols, BLOCK_BYTES * (source.cols / 256), arena);
        this.blocks = cols / 256;
        int[] q = new int[256];
        packBlocks(source, SOURCE_BLOCK, (int) BLOCK_BYTES, (in, at, lane, block) -> {
            putFloat(block, 4 * lane, half(in, at + 208));
            for (int j = 0; j < 16; j++) {
                block[(int) SCALES + j * L + lane] = in[at + 192 + j];
            }
            unpack(in, at, q);
            for (int j = 0; j < 16; j++) {
                for (int w = 0; w < 3; w++) {
                    putInt(block, (int) (QUANTS + j * SUB_BLOCK + w * WORD) + 4 * lane, word(q, 16 * j, w));
                }
            }
        });
    }

    /**
     * ggml's block at {@code in[at...]} to its 256 quants (0..63): value {@code 128n + 32p + l} is the low
     * ({@code p < 2}) or high nibble of {@code ql[64n + 32(p & 1) + l]} with bits {@code 2p} of
     * {@code qh[32n + l]} above it.
     */
    private static void unpack(byte[] in, int at, int[] q) {
        for (int n = 0; n < 2; n++) {
            for (int l = 0; l < 32; l++) {
                int a = in[at + 64 * n + l] & 0xFF;
                int c = in[at + 64 * n + 32 + l] & 0xFF;
                int h = in[at + 128 + 32 * n + l] & 0xFF;
                int i = 128 * n + l;
                q[i] = a & 0x0F | (h & 3) << 4;
                q[i + 32] = c & 0x0F | (h & 0x0C) << 2;
                q[i + 64] = a >>> 4 | h & 0x30;
                q[i + 96] = c >>> 4 | (h & 0xC0) >>> 2;
            }
        }
    }

    /** Word {@code w} of the sub-block whose quants start at {@code q[from]}. */
    private static int word(int[] q, int from, int w) {
        int v = from + 5 * w;
        return q[v] | q[v + 1] << 6 | q[v + 2] << 12 | q[v + 3] << 18 | ((q[from + 15] >>> (2 * w)) & 3) << 24 | q[v + 4] << 26;
    }

    /**
     * One token. Quants are multiplied unsigned (0..63), each field position into its own
     * accumulator; the first starts at {@code -32 * sum(x)} (the activation's sum of 16), so the
     * sub-block's sum comes out as {@code sum((q - 32) * x)}. Every partial is an integer (times a
     * power of two) below 2^24: exact, in any order.
     */
    @Override
    void dots(ActivationBatch x, int t, int g, float[] result) {
        float[] xv = x.values();
        float[] xd = x.scales();
        int[] xsum = x.groupSums();
        long o = base + g * groupBytes;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, o += BLOCK_BYTES) {
            IntVector isum = IntVector.zero(I);
            int xb = t * cols + b * 256;
            int sb = (t * blocks + b) * 16;
            for (int j = 0; j < 16; j++) {
                FloatVector s0 = FloatVector.broadcast(F, (float) (-32 * xsum[sb + j]));
                FloatVector s1 = FloatVector.zero(F);
                FloatVector s2 = FloatVector.zero(F);
                FloatVector s3 = FloatVector.zero(F);
                FloatVector s4 = FloatVector.zero(F);
                FloatVector s5 = FloatVector.zero(F);
                long qa = o + QUANTS + j * SUB_BLOCK;
                int xi = xb + 16 * j;
                float x15 = xv[xi + 15];
                for (int w = 0; w < 3; w++) {
                    IntVector v = IntVector.fromMemorySegment(I, MEMORY, qa + w * WORD, ByteOrder.LITTLE_ENDIAN);
                    int i = xi + 5 * w;
                    s0 = ((FloatVector) v.and(63).convertShape(VectorOperators.I2F, F, 0))
                            .fma(FloatVector.broadcast(F, xv[i]), s0);
                    s1 = ((FloatVector) v.and(63 << 6).convertShape(VectorOperators.I2F, F, 0))
                            .fma(FloatVector.broadcast(F, xv[i + 1]), s1);
                    s2 = ((FloatVector) v.and(63 << 12).convertShape(VectorOperators.I2F, F, 0))
                            .fma(FloatVector.broadcast(F, xv[i + 2]), s2);
                    s3 = ((FloatVector) v.and(63 << 18).convertShape(VectorOperators.I2F, F, 0))
                            .fma(FloatVector.broadcast(F, xv[i + 3]), s3);
                    s4 = ((FloatVector) v.lanewise(VectorOperators.LSHR, 26).convertShape(VectorOperators.I2F, F, 0))
                            .fma(FloatVector.broadcast(F, xv[i + 4]), s4);
                    // Bits 2w, 2w+1 of value 15, at 2^24: its activation times 4^w.
                    s5 = ((FloatVector) v.and(3 << 24).convertShape(VectorOperators.I2F, F, 0))
                            .fma(FloatVector.broadcast(F, x15 * (1 << 2 * w)), s5);
                }
                FloatVector sum = s5.fma(C24, s3.fma(C18, s2.fma(C12, s1.fma(C6, s0.add(s4)))));
                FloatVector sc = (FloatVector) ByteVector.fromMemorySegment(ROW_BYTES, MEMORY, o + SCALES + (long) j * L,
                        ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0);
                isum = isum.add((IntVector) sum.mul(sc).convertShape(VectorOperators.F2I, I, 0));
            }
            FloatVector d = FloatVector.fromMemorySegment(F, MEMORY, o, ByteOrder.LITTLE_ENDIAN);
            acc = ((FloatVector) isum.convertShape(VectorOperators.I2F, F, 0)).fma(d.mul(xd[t * blocks + b]), acc);
        }
        acc.intoArray(result, 0);
    }

    /**
     * The panel holds {@code sc * (q - 32)} (at most 4096 in magnitude, so 32 of its products
     * with activations sum below 2^24, exactly), computed as
     * {@code fma(q * 2^(6k), sc * 2^-6k, -32 * sc)}: exact as well.
     */
    @Override
    void fillPanel(int g, Panel panel) {
        float[] values = panel.values;
        float[] scales = panel.scales;
        long o = base + g * groupBytes;
        for (int b = 0; b < blocks; b++, o += BLOCK_BYTES) {
            FloatVector.fromMemorySegment(F, MEMORY, o, ByteOrder.LITTLE_ENDIAN).intoArray(scales, b * L);
            for (int j = 0; j < 16; j++) {
                FloatVector sc = signedBytes(o + SCALES + (long) j * L);
                FloatVector offset = sc.mul(-32f);
                FloatVector sc6 = sc.mul(C6);
                FloatVector sc12 = sc.mul(C12);
                FloatVector sc18 = sc.mul(C18);
                FloatVector sc24 = sc.mul(C24);
                long qa = o + QUANTS + j * SUB_BLOCK;
                int vi = (b * 256 + 16 * j) * L;
                FloatVector v15 = offset;
                for (int w = 0; w < 3; w++) {
                    IntVector v = IntVector.fromMemorySegment(I, MEMORY, qa + w * WORD, ByteOrder.LITTLE_ENDIAN);
                    int i = vi + 5 * w * L;
                    floats(v.and(63)).fma(sc, offset).intoArray(values, i);
                    floats(v.and(63 << 6)).fma(sc6, offset).intoArray(values, i + L);
                    floats(v.and(63 << 12)).fma(sc12, offset).intoArray(values, i + 2 * L);
                    floats(v.and(63 << 18)).fma(sc18, offset).intoArray(values, i + 3 * L);
                    floats(v.lanewise(VectorOperators.LSHR, 26)).fma(sc, offset).intoArray(values, i + 4 * L);
                    v15 = floats(v.and(3 << 24)).fma(sc24.mul((float) (1 << 2 * w)), v15);
                }
                v15.intoArray(values, vi + 15 * L);
            }
        }
    }

    /**
     * Tokens {@code t0..t0+7}: per 32 columns an exact float partial per token, added into int
     * sums (kept in memory: with the partials in registers they would spill on AVX2); per
     * super-block one fused multiply-add into the totals (kept in {@code result}).
     */
    @Override
    void panelDots8(Panel panel, ActivationBatch x, int t0, float[] result) {
        float[] w = panel.values;
        float[] d = panel.scales;
        float[] xv = x.values();
        float[] xd = x.scales();
        int[] sums = SUMS.get();
        Arrays.fill(result, 0, TILE * L, 0f);
        for (int b = 0; b < blocks; b++) {
            Arrays.fill(sums, 0);
            for (int part = 0; part < 8; part++) {
                FloatVector s0 = FloatVector.zero(F);
                FloatVector s1 = FloatVector.zero(F);
                FloatVector s2 = FloatVector.zero(F);
                FloatVector s3 = FloatVector.zero(F);
                FloatVector s4 = FloatVector.zero(F);
                FloatVector s5 = FloatVector.zero(F);
                FloatVector s6 = FloatVector.zero(F);
                FloatVector s7 = FloatVector.zero(F);
                int col = b * 256 + part * 32;
                int wi = col * L;
                int xi = t0 * cols + col;
                for (int k = 0; k < 32; k++) {
                    FloatVector wk = FloatVector.fromArray(F, w, wi + k * L);
                    int i = xi + k;
                    s0 = wk.fma(FloatVector.broadcast(F, xv[i]), s0);
                    s1 = wk.fma(FloatVector.broadcast(F, xv[i + cols]), s1);
                    s2 = wk.fma(FloatVector.broadcast(F, xv[i + 2 * cols]), s2);
                    s3 = wk.fma(FloatVector.broadcast(F, xv[i + 3 * cols]), s3);
                    s4 = wk.fma(FloatVector.broadcast(F, xv[i + 4 * cols]), s4);
                    s5 = wk.fma(FloatVector.broadcast(F, xv[i + 5 * cols]), s5);
                    s6 = wk.fma(FloatVector.broadcast(F, xv[i + 6 * cols]), s6);
                    s7 = wk.fma(FloatVector.broadcast(F, xv[i + 7 * cols]), s7);
                }
                IntVector.fromArray(I, sums, 0).add((IntVector) s0.convertShape(VectorOperators.F2I, I, 0)).intoArray(sums, 0);
                IntVector.fromArray(I, sums, L).add((IntVector) s1.convertShape(VectorOperators.F2I, I, 0)).intoArray(sums, L);
                IntVector.fromArray(I, sums, 2 * L).add((IntVector) s2.convertShape(VectorOperators.F2I, I, 0)).intoArray(sums, 2 * L);
                IntVector.fromArray(I, sums, 3 * L).add((IntVector) s3.convertShape(VectorOperators.F2I, I, 0)).intoArray(sums, 3 * L);
                IntVector.fromArray(I, sums, 4 * L).add((IntVector) s4.convertShape(VectorOperators.F2I, I, 0)).intoArray(sums, 4 * L);
                IntVector.fromArray(I, sums, 5 * L).add((IntVector) s5.convertShape(VectorOperators.F2I, I, 0)).intoArray(sums, 5 * L);
                IntVector.fromArray(I, sums, 6 * L).add((IntVector) s6.convertShape(VectorOperators.F2I, I, 0)).intoArray(sums, 6 * L);
                IntVector.fromArray(I, sums, 7 * L).add((IntVector) s7.convertShape(VectorOperators.F2I, I, 0)).intoArray(sums, 7 * L);
            }
            FloatVector db = FloatVector.fromArray(F, d, b * L);
            for (int i = 0; i < TILE; i++) {
                ((FloatVector) IntVector.fromArray(I, sums, i * L).convertShape(VectorOperators.I2F, F, 0))
                        .fma(db.mul(xd[(t0 + i) * blocks + b]), FloatVector.fromArray(F, result, i * L)).intoArray(result, i * L);
            }
        }
    }

    /** Token {@code t} alone (the tail of a batch). */
    @Override
    void panelDots1(Panel panel, ActivationBatch x, int t, float[] result) {
        float[] w = panel.values;
        float[] d = panel.scales;
        float[] xv = x.values();
        float[] xd = x.scales();
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            IntVector isum = IntVector.zero(I);
            for (int part = 0; part < 8; part++) {
                FloatVector s0 = FloatVector.zero(F);
                FloatVector s1 = FloatVector.zero(F);
                int col = b * 256 + part * 32;
                int wi = col * L;
                int xi = t * cols + col;
                for (int k = 0; k < 32; k += 2) {
                    s0 = FloatVector.fromArray(F, w, wi + k * L).fma(FloatVector.broadcast(F, xv[xi + k]), s0);
                    s1 = FloatVector.fromArray(F, w, wi + (k + 1) * L).fma(FloatVector.broadcast(F, xv[xi + k + 1]), s1);
                }
                isum = isum.add((IntVector) s0.add(s1).convertShape(VectorOperators.F2I, I, 0));
            }
            acc = ((FloatVector) isum.convertShape(VectorOperators.I2F, F, 0))
                    .fma(FloatVector.fromArray(F, d, b * L).mul(xd[t * blocks + b]), acc);
        }
        acc.intoArray(result, 0);
    }

    private static FloatVector floats(IntVector v) {
        return (FloatVector) v.convertShape(VectorOperators.I2F, F, 0);
    }
}
