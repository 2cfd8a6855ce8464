package io.llmswarm.engine.tensor;

import io.llmswarm.engine.tensor.PackedMatrix.Panel;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Panel kernels for Q4_K and Q5_K weights (super-blocks of 256 in eight sub-blocks of 32, a 6-bit
 * scale {@code sc_j} and min {@code m_j} each) times Q8_K activations. A row's dot is
 * {@code scaledTotal + minTotal}, each folded super-block by super-block:
 * <pre>
 *   scaled      = sum_j sc_j * dot_j      (exact, in int: it may pass 2^24)
 *   minSum      = sum_j m_j * bsum_j      (exact: at most 8 * 63 * 32 * 127 &lt; 2^24)
 *   scaledTotal = fma(scaled, d * dx, scaledTotal)
 *   minTotal    = fma(minSum, -(dmin * dx), minTotal)
 * </pre>
 * where {@code dot_j} is the integer dot of sub-block {@code j}'s quants with the activation
 * quants and {@code bsum_j} the sum of those activation quants (ggml keeps the two totals apart
 * as well). The decode kernels of both types compute the same integers and fold them the same
 * way, so results agree to the bit; keeping the mins in a pass of their own keeps each compiled
 * kernel small (see the package notes on C2's node budget).
 *
 * <p>The panel holds {@code sc_j * q} as floats (at most 63 * 31), so a chunk of 64 values sums
 * exactly in float (at most 64 * 1953 * 127 &lt; 2^24) before it is added in int. Its scales hold,
 * per super-block, {@code d}, {@code dmin} and the eight mins, {@link #SCALES} vectors.
 */
final class KQuantPanel {
    private static final VectorSpecies<Float> F = PackedMatrix.F;
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final int L = PackedMatrix.L;
    /** Panel scale vectors per super-block: d, dmin, mins 0-7. */
    static final int SCALES = 10;

    private KQuantPanel() {
    }

    /** Tokens {@code t0..t0+7}: one load of the panel serves eight fused multiply-adds. */
    static void dots8(Panel panel, ActivationBatch x, int t0, float[] result) {
        float[] w = panel.values;
        float[] xv = x.values();
        int cols = x.cols();
        int blocks = cols / 256;
        Arrays.fill(result, 0, 8 * L, 0f);
        int[] sums = panel.ints;
        for (int b = 0; b < blocks; b++) {
            Arrays.fill(sums, 0);
            for (int c = 0; c < 4; c++) {
                FloatVector s0 = FloatVector.zero(F);
                FloatVector s1 = FloatVector.zero(F);
                FloatVector s2 = FloatVector.zero(F);
                FloatVector s3 = FloatVector.zero(F);
                FloatVector s4 = FloatVector.zero(F);
                FloatVector s5 = FloatVector.zero(F);
                FloatVector s6 = FloatVector.zero(F);
                FloatVector s7 = FloatVector.zero(F);
                int wi = (b * 256 + c * 64) * L;
                int xi = t0 * cols + b * 256 + c * 64;
                for (int k = 0; k < 64; k++) {
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
                // In memory rather than eight more registers: AVX2 has only sixteen.
                addInts(s0, sums, 0);
                addInts(s1, sums, L);
                addInts(s2, sums, 2 * L);
                addInts(s3, sums, 3 * L);
                addInts(s4, sums, 4 * L);
                addInts(s5, sums, 5 * L);
                addInts(s6, sums, 6 * L);
                addInts(s7, sums, 7 * L);
            }
            for (int i = 0; i < 8; i++) {
                fold(panel, b, x, t0 + i, i * L, result);
            }
        }
        for (int i = 0; i < 8; i++) {
            addMins(panel, x, t0 + i, i * L, result);
        }
    }

    /** Token {@code t} alone (the tail of a batch). */
    static void dots1(Panel panel, ActivationBatch x, int t, float[] result) {
        float[] w = panel.values;
        float[] xv = x.values();
        int cols = x.cols();
        int blocks = cols / 256;
        Arrays.fill(result, 0, L, 0f);
        int[] sums = panel.ints;
        for (int b = 0; b < blocks; b++) {
            IntVector scaled = IntVector.zero(I);
            for (int c = 0; c < 4; c++) {
                FloatVector s0 = FloatVector.zero(F);
                FloatVector s1 = FloatVector.zero(F);
                FloatVector s2 = FloatVector.zero(F);
                FloatVector s3 = FloatVector.zero(F);
                int wi = (b * 256 + c * 64) * L;
                int xi = t * cols + b * 256 + c * 64;
                for (int k = 0; k < 64; k += 4) {
                    s0 = FloatVector.fromArray(F, w, wi + k * L).fma(FloatVector.broadcast(F, xv[xi + k]), s0);
                    s1 = FloatVector.fromArray(F, w, wi + (k + 1) * L).fma(FloatVector.broadcast(F, xv[xi + k + 1]), s1);
                    s2 = FloatVector.fromArray(F, w, wi + (k + 2) * L).fma(FloatVector.broadcast(F, xv[xi + k + 2]), s2);
                    s3 = FloatVector.fromArray(F, w, wi + (k + 3) * L).fma(FloatVector.broadcast(F, xv[xi + k + 3]), s3);
                }
                scaled = scaled.add(ints(s0.add(s1).add(s2.add(s3))));
            }
            scaled.intoArray(sums, 0);
            fold(panel, b, x, t, 0, result);
        }
        addMins(panel, x, t, 0, result);
    }

    /**
     * Folds super-block {@code b}'s exact {@code scaled} sums, in {@code panel.ints[at..]}, into
     * the scaled total of token {@code t} in {@code result[at..at+L)}.
     */
    private static void fold(Panel panel, int b, ActivationBatch x, int t, int at, float[] result) {
        float dx = x.scales()[t * (x.cols() / 256) + b];
        FloatVector d = FloatVector.fromArray(F, panel.scales, b * SCALES * L);
        floats(IntVector.fromArray(I, panel.ints, at)).fma(d.mul(dx), FloatVector.fromArray(F, result, at)).intoArray(result, at);
    }

    /** Adds token {@code t}'s min total to {@code result[at..at+L)}. */
    private static void addMins(Panel panel, ActivationBatch x, int t, int at, float[] result) {
        float[] s = panel.scales;
        float[] xd = x.scales();
        int[] groupSums = x.groupSums();
        int blocks = x.cols() / 256;
        FloatVector total = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            int block = t * blocks + b;
            int g = block * 16;
            int si = b * SCALES * L;
            FloatVector mins = FloatVector.zero(F);
            for (int j = 0; j < 8; j++) {
                float bsum = groupSums[g + 2 * j] + groupSums[g + 2 * j + 1];
                mins = FloatVector.fromArray(F, s, si + (2 + j) * L).fma(FloatVector.broadcast(F, bsum), mins);
            }
            total = mins.fma(FloatVector.fromArray(F, s, si + L).mul(-xd[block]), total);
        }
        FloatVector.fromArray(F, result, at).add(total).intoArray(result, at);
    }

    /**
     * Adds token {@code t}'s min total to {@code result[0..L)} for the packed group at address
     * {@code group} (super-blocks of {@code blockBytes}: {@code dmin} as L floats at
     * {@code 4 L}, the mins as 8 x L bytes at {@code 16 L}), as {@link #addMins} does from a panel.
     */
    static void addPackedMins(long group, long blockBytes, ActivationBatch x, int t, float[] result) {
        float[] xd = x.scales();
        int[] groupSums = x.groupSums();
        int blocks = x.cols() / 256;
        FloatVector total = FloatVector.zero(F);
        long o = group;
        for (int b = 0; b < blocks; b++, o += blockBytes) {
            int block = t * blocks + b;
            int g = block * 16;
            FloatVector mins = FloatVector.zero(F);
            for (int j = 0; j < 8; j++) {
                float bsum = groupSums[g + 2 * j] + groupSums[g + 2 * j + 1];
                mins = PackedMatrix.signedBytes(o + 16L * L + (long) j * L).fma(FloatVector.broadcast(F, bsum), mins);
            }
            FloatVector dmin = FloatVector.fromMemorySegment(F, PackedMatrix.MEMORY, o + 4L * L, ByteOrder.LITTLE_ENDIAN);
            total = mins.fma(dmin.mul(-xd[block]), total);
        }
        FloatVector.fromArray(F, result, 0).add(total).intoArray(result, 0);
    }

    /**
     * Packs a Q4_K or Q5_K row's super-block header ({@code in[at...]}: fp16 d and dmin, 12 bytes
     * of 6-bit scales and mins) into its lane: d and dmin as floats at 0 and {@code 4 L}, the
     * scales and mins unpacked to bytes at {@code 8 L} and {@code 16 L}.
     */
    static void packHeader(byte[] in, int at, int lane, byte[] block) {
        PackedMatrix.putFloat(block, 4 * lane, PackedMatrix.half(in, at));
        PackedMatrix.putFloat(block, 4 * (L + lane), PackedMatrix.half(in, at + 2));
        long scales = PackedMatrix.longAt(in, at + 4);
        int scalesHigh = PackedMatrix.intAt(in, at + 12);
        for (int j = 0; j < 8; j++) {
            block[8 * L + j * L + lane] = (byte) KQuantScales.scale(scales, scalesHigh, j);
            block[16 * L + j * L + lane] = (byte) KQuantScales.min(scales, scalesHigh, j);
        }
    }

    /** {@code sums[at..at+L) += (int) s}; tiny, so that the JIT inlines it and {@code s} is never boxed. */
    private static void addInts(FloatVector s, int[] sums, int at) {
        IntVector.fromArray(I, sums, at).add(ints(s)).intoArray(sums, at);
    }

    static IntVector ints(FloatVector v) {
        return (IntVector) v.convertShape(VectorOperators.F2I, I, 0);
    }

    static FloatVector floats(IntVector v) {
        return (FloatVector) v.convertShape(VectorOperators.I2F, F, 0);
    }
}
