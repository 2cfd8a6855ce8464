package io.llmswarm.engine.tensor;

import java.lang.foreign.Arena;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;

/**
 * Q8_0 weights packed by groups of {@link #L} rows. Per group and block of 32: the rows' scales
 * as {@code L} floats, then 32 columns of {@code L} signed quants (row-interleaved).
 */
final class PackedQ80 extends PackedMatrix {
    private static final int SOURCE_BLOCK = 34;
    private static final long BLOCK_BYTES = 4L * L + 32L * L;

    private final int blocks;

    PackedQ80(Q80Matrix source, Arena arena) {
        super(source.rows, source.cols, BLOCK_BYTES * (source.cols / 32), arena);
        this.blocks = cols / 32;
        packBlocks(source, SOURCE_BLOCK, (int) BLOCK_BYTES, (in, at, lane, block) -> {
            putFloat(block, 4 * lane, half(in, at));
            for (int k = 0; k < 32; k++) {
                block[4 * L + k * L + lane] = in[at + 2 + k];
            }
        });
    }

    /**
     * One token: four partial sums per block (exact, so their order does not matter), then one
     * fused multiply-add with the scales, as {@link Block32Panel} does.
     */
    @Override
    void dots(ActivationBatch x, int t, int g, float[] result) {
        float[] xv = x.values();
        float[] xd = x.scales();
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
            for (int k = 0; k < 32; k += 4) {
                s0 = signedBytes(q + (long) k * L).fma(FloatVector.broadcast(F, xv[xi + k]), s0);
                s1 = signedBytes(q + (long) (k + 1) * L).fma(FloatVector.broadcast(F, xv[xi + k + 1]), s1);
                s2 = signedBytes(q + (long) (k + 2) * L).fma(FloatVector.broadcast(F, xv[xi + k + 2]), s2);
                s3 = signedBytes(q + (long) (k + 3) * L).fma(FloatVector.broadcast(F, xv[xi + k + 3]), s3);
            }
            FloatVector d = FloatVector.fromMemorySegment(F, MEMORY, o, ByteOrder.LITTLE_ENDIAN);
            acc = s0.add(s1).add(s2.add(s3)).fma(d.mul(xd[dBase + b]), acc);
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
            for (int k = 0; k < 32; k++) {
                signedBytes(q + (long) k * L).intoArray(values, v + k * L);
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
}
