package io.llmswarm.engine.tensor;

import io.llmswarm.engine.tensor.PackedMatrix.Panel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The one formula of float weights (F32, F16, BF16) times float activations, and its panel
 * kernels. Float products have no exact sums, so the order of every rounding is part of the
 * formula: a row's dot is {@value #CHAINS} chains of fused multiply-adds, chain {@code j} taking
 * the columns {@code k = j, j + 4, j + 8, ...} in order ({@code c = fma(w[k], x[k], c)} from
 * {@code c = 0}), and then {@code (c0 + c1) + (c2 + c3)}.
 *
 * <p>Nothing in it depends on the vector width: rows are interleaved one per lane (lanes over
 * rows), so a lane runs exactly those chains whatever the number of lanes. Four chains, not one,
 * so that one token's kernel has four independent fused multiply-adds in flight (their latency is
 * four cycles); more would only help a kernel that is not waiting on memory anyway. The decode
 * kernels of the packed float types run the same chains on the packed weights, so a token gives
 * the same bits alone, in any batch and at any width.
 */
final class FloatPanel {
    /** Independent fused multiply-add chains per row. */
    static final int CHAINS = 4;

    private static final VectorSpecies<Float> F = PackedMatrix.F;
    private static final int L = PackedMatrix.L;

    private FloatPanel() {
    }

    /** Makes room in the panel for {@code cols} columns and the partial sums of {@link #dots8}. */
    static void ensure(Panel panel, int cols) {
        // Float panels have no scales: that array holds the chains of a tile instead.
        panel.ensure(cols * L, CHAINS * 8 * L);
    }

    /**
     * Tokens {@code t0..t0+7}: chain by chain, one load of a panel column serves eight fused
     * multiply-adds; the chains' sums wait in the panel's spare array and are added at the end.
     */
    static void dots8(Panel panel, ActivationBatch x, int t0, float[] result) {
        float[] parts = panel.scales;
        for (int j = 0; j < CHAINS; j++) {
            chain8(panel.values, x.values(), x.cols(), t0 * x.cols(), j, parts, j * 8 * L);
        }
        for (int i = 0; i < 8 * L; i += L) {
            FloatVector c0 = FloatVector.fromArray(F, parts, i);
            FloatVector c1 = FloatVector.fromArray(F, parts, 8 * L + i);
            FloatVector c2 = FloatVector.fromArray(F, parts, 16 * L + i);
            FloatVector c3 = FloatVector.fromArray(F, parts, 24 * L + i);
            c0.add(c1).add(c2.add(c3)).intoArray(result, i);
        }
    }

    /** Chain {@code j} of eight tokens, into {@code out[at + i*L]} for token {@code i}. */
    private static void chain8(float[] w, float[] xv, int cols, int x0, int j, float[] out, int at) {
        FloatVector s0 = FloatVector.zero(F);
        FloatVector s1 = FloatVector.zero(F);
        FloatVector s2 = FloatVector.zero(F);
        FloatVector s3 = FloatVector.zero(F);
        FloatVector s4 = FloatVector.zero(F);
        FloatVector s5 = FloatVector.zero(F);
        FloatVector s6 = FloatVector.zero(F);
        FloatVector s7 = FloatVector.zero(F);
        for (int k = j; k < cols; k += CHAINS) {
            FloatVector wk = FloatVector.fromArray(F, w, k * L);
            int i = x0 + k;
            s0 = wk.fma(FloatVector.broadcast(F, xv[i]), s0);
            s1 = wk.fma(FloatVector.broadcast(F, xv[i + cols]), s1);
            s2 = wk.fma(FloatVector.broadcast(F, xv[i + 2 * cols]), s2);
            s3 = wk.fma(FloatVector.broadcast(F, xv[i + 3 * cols]), s3);
            s4 = wk.fma(FloatVector.broadcast(F, xv[i + 4 * cols]), s4);
            s5 = wk.fma(FloatVector.broadcast(F, xv[i + 5 * cols]), s5);
            s6 = wk.fma(FloatVector.broadcast(F, xv[i + 6 * cols]), s6);
            s7 = wk.fma(FloatVector.broadcast(F, xv[i + 7 * cols]), s7);
        }
        s0.intoArray(out, at);
        s1.intoArray(out, at + L);
        s2.intoArray(out, at + 2 * L);
        s3.intoArray(out, at + 3 * L);
        s4.intoArray(out, at + 4 * L);
        s5.intoArray(out, at + 5 * L);
        s6.intoArray(out, at + 6 * L);
        s7.intoArray(out, at + 7 * L);
    }

    /** Token {@code t} alone (the tail of a batch): the four chains side by side. */
    static void dots1(Panel panel, ActivationBatch x, int t, float[] result) {
        float[] w = panel.values;
        float[] xv = x.values();
        int cols = x.cols();
        int xi = t * cols;
        FloatVector c0 = FloatVector.zero(F);
        FloatVector c1 = FloatVector.zero(F);
        FloatVector c2 = FloatVector.zero(F);
        FloatVector c3 = FloatVector.zero(F);
        int k = 0;
        for (; k + CHAINS <= cols; k += CHAINS) {
            c0 = FloatVector.fromArray(F, w, k * L).fma(FloatVector.broadcast(F, xv[xi + k]), c0);
            c1 = FloatVector.fromArray(F, w, (k + 1) * L).fma(FloatVector.broadcast(F, xv[xi + k + 1]), c1);
            c2 = FloatVector.fromArray(F, w, (k + 2) * L).fma(FloatVector.broadcast(F, xv[xi + k + 2]), c2);
            c3 = FloatVector.fromArray(F, w, (k + 3) * L).fma(FloatVector.broadcast(F, xv[xi + k + 3]), c3);
        }
        if (k < cols) {
            c0 = FloatVector.fromArray(F, w, k * L).fma(FloatVector.broadcast(F, xv[xi + k]), c0);
        }
        if (k + 1 < cols) {
            c1 = FloatVector.fromArray(F, w, (k + 1) * L).fma(FloatVector.broadcast(F, xv[xi + k + 1]), c1);
        }
        if (k + 2 < cols) {
            c2 = FloatVector.fromArray(F, w, (k + 2) * L).fma(FloatVector.broadcast(F, xv[xi + k + 2]), c2);
        }
        c0.add(c1).add(c2.add(c3)).intoArray(result, 0);
    }
}
