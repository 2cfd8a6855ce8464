package io.llmswarm.engine.tensor;

import io.llmswarm.engine.tensor.PackedMatrix.Panel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Panel kernels for weights in blocks of 32 with one scale per row and block (Q8_0, Q4_0) times
 * Q8_0 activations: {@code total = fma(sum_k w*x, d * dx, total)} block by block, where the panel
 * holds the integer quants {@code w} as floats and the sum is exact. The decode kernels of those
 * types compute the same sums and fold them the same way, so results agree to the bit.
 */
final class Block32Panel {
    private static final VectorSpecies<Float> F = PackedMatrix.F;
    private static final int L = PackedMatrix.L;

    private Block32Panel() {
    }

    /** Tokens {@code t0..t0+7}: one load of the panel serves eight fused multiply-adds. */
    static void dots8(Panel panel, ActivationBatch x, int t0, float[] result) {
        float[] w = panel.values;
        float[] d = panel.scales;
        float[] xv = x.values();
        float[] xd = x.scales();
        int cols = x.cols();
        int blocks = cols / 32;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        FloatVector a4 = FloatVector.zero(F);
        FloatVector a5 = FloatVector.zero(F);
        FloatVector a6 = FloatVector.zero(F);
        FloatVector a7 = FloatVector.zero(F);
        int x0 = t0 * cols;
        int d0 = t0 * blocks;
        for (int b = 0; b < blocks; b++) {
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = FloatVector.zero(F);
            FloatVector s2 = FloatVector.zero(F);
            FloatVector s3 = FloatVector.zero(F);
            FloatVector s4 = FloatVector.zero(F);
            FloatVector s5 = FloatVector.zero(F);
            FloatVector s6 = FloatVector.zero(F);
            FloatVector s7 = FloatVector.zero(F);
            int wi = b * 32 * L;
            int xi = x0 + b * 32;
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
            FloatVector db = FloatVector.fromArray(F, d, b * L);
            int di = d0 + b;
            a0 = s0.fma(db.mul(xd[di]), a0);
            a1 = s1.fma(db.mul(xd[di + blocks]), a1);
            a2 = s2.fma(db.mul(xd[di + 2 * blocks]), a2);
            a3 = s3.fma(db.mul(xd[di + 3 * blocks]), a3);
            a4 = s4.fma(db.mul(xd[di + 4 * blocks]), a4);
            a5 = s5.fma(db.mul(xd[di + 5 * blocks]), a5);
            a6 = s6.fma(db.mul(xd[di + 6 * blocks]), a6);
            a7 = s7.fma(db.mul(xd[di + 7 * blocks]), a7);
        }
        a0.intoArray(result, 0);
        a1.intoArray(result, L);
        a2.intoArray(result, 2 * L);
        a3.intoArray(result, 3 * L);
        a4.intoArray(result, 4 * L);
        a5.intoArray(result, 5 * L);
        a6.intoArray(result, 6 * L);
        a7.intoArray(result, 7 * L);
    }

    /** Token {@code t} alone (the tail of a batch). */
    static void dots1(Panel panel, ActivationBatch x, int t, float[] result) {
        float[] w = panel.values;
        float[] d = panel.scales;
        float[] xv = x.values();
        float[] xd = x.scales();
        int cols = x.cols();
        int blocks = cols / 32;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = FloatVector.zero(F);
            int wi = b * 32 * L;
            int xi = t * cols + b * 32;
            for (int k = 0; k < 32; k += 2) {
                s0 = FloatVector.fromArray(F, w, wi + k * L).fma(FloatVector.broadcast(F, xv[xi + k]), s0);
                s1 = FloatVector.fromArray(F, w, wi + (k + 1) * L).fma(FloatVector.broadcast(F, xv[xi + k + 1]), s1);
            }
            acc = s0.add(s1).fma(FloatVector.fromArray(F, d, b * L).mul(xd[t * blocks + b]), acc);
        }
        acc.intoArray(result, 0);
    }
}
