package io.llmswarm.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A weight matrix rewritten at load time so that one vector holds the same column of
 * {@link VectorWidth#LANES} consecutive rows (a <em>group</em>): lane {@code i} of every vector
 * belongs to row {@code group * LANES + i}. Kernels broadcast one activation value and multiply
 * it with a column of the group, so a lane's sum is one row's dot product and no lanes are ever
 * added across.
 *
 * <p>That is what makes results independent of how they were computed. Every type sums each
 * block of quants exactly (integers far below 2^24, in float), then folds the blocks into the
 * row's float total in block order, one fused multiply-add each. The decode kernel (one token),
 * the batch kernels (many tokens over a float panel of the group's weights) and every vector
 * width give a row the same bits: a token alone equals the same token in a batch, and nodes with
 * different CPUs agree.
 *
 * <p>Batches of at least {@link #PANEL_TOKENS} tokens convert a group's quants to floats once
 * (the <em>panel</em>, which stays in cache) and reuse them for every token: the inner loop is
 * then one load and one fused multiply-add per column and token.
 */
abstract sealed class PackedMatrix permits PackedQ80, PackedQ40, PackedQ41, PackedQ50, PackedF32, PackedF16, PackedBf16,
        PackedQ4K, PackedQ5K, PackedQ6K {
    static final VectorSpecies<Float> F = VectorWidth.FLOATS;
    /** Rows per group: one float lane each. */
    static final int L = VectorWidth.LANES;
    /**
     * One byte per row of a group. There is no byte species narrower than 64 bits, so with four
     * lanes a load reads four spare bytes (the packed segment is padded for the last one).
     */
    static final VectorSpecies<Byte> ROW_BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, L * 8)));
    static final MemorySegment MEMORY = VectorWidth.ALL_MEMORY;
    /**
     * Batches of at least this many tokens go through the panel: converting a group's weights
     * once and reading them from cache costs less than a pass over the packed weights per token.
     * Below it, a tile padded to eight costs more than a pass per token (BatchDecodeBench, process
     * CPU per step of k sessions, TinyLlama-shaped Q8_0: k = 2 took 120 ms one by one and 250 ms as
     * a tile, k = 3 170 and 250, k = 4 250 either way).
     */
    static final int PANEL_TOKENS = 4;
    /** Tokens per panel tile: with the tile's block sums and totals, 16 vector registers on AVX-512. */
    static final int TILE = 8;
    /** Spare bytes after the last group, so that narrow loads may read past it. */
    static final long PADDING = 64;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    final int rows;
    final int cols;
    final int groups;
    final MemorySegment packed;
    /** Address of group 0. */
    final long base;
    final long groupBytes;

    PackedMatrix(int rows, int cols, long groupBytes, Arena arena) {
        this.rows = rows;
        this.cols = cols;
        this.groups = (rows + L - 1) / L;
        this.groupBytes = groupBytes;
        this.packed = arena.allocate(groupBytes * groups + PADDING, 64);
        this.base = packed.address();
    }

    /**
     * Rewrites one row's source block ({@code in[at...]}) into its lane of the packed block
     * ({@code block}, which starts all zero: rows past the matrix's end keep scale 0).
     */
    @FunctionalInterface
    interface LanePacker {
        void pack(byte[] in, int at, int lane, byte[] block);
    }

    /**
     * Fills the packed segment of a block-quantized matrix ({@code sourceBlock} bytes per block
     * in the file, {@code blockBytes} per packed block of a group): the group's rows are copied
     * into an array (one bulk copy each), each block rewritten lane by lane by {@code packer}, and
     * each group copied out in one piece.
     */
    final void packBlocks(SegmentMatrix source, int sourceBlock, int blockBytes, LanePacker packer) {
        int rowBytes = Math.toIntExact(source.rowBytes);
        int blocks = rowBytes / sourceBlock;
        byte[] in = new byte[rowBytes * L];
        byte[] out = new byte[Math.toIntExact(groupBytes)];
        byte[] block = new byte[blockBytes];
        for (int g = 0; g < groups; g++) {
            int present = Math.min(L, rows - g * L);
            MemorySegment.copy(source.data, ValueLayout.JAVA_BYTE, (long) g * L * rowBytes, in, 0,
                    present * rowBytes);
            for (int b = 0; b < blocks; b++) {
                Arrays.fill(block, (byte) 0);
                for (int lane = 0; lane < present; lane++) {
                    packer.pack(in, lane * rowBytes + b * sourceBlock, lane, block);
                }
                System.arraycopy(block, 0, out, b * blockBytes, blockBytes);
            }
            MemorySegment.copy(out, 0, packed, ValueLayout.JAVA_BYTE, g * groupBytes, out.length);
        }
    }

    /** The little-endian fp16 at {@code bytes[i]} as a float. */
    static float half(byte[] bytes, int i) {
        return Float.float16ToFloat((short) ((bytes[i] & 0xFF) | bytes[i + 1] << 8));
    }

    /** The little-endian int at {@code bytes[i]}. */
    static int intAt(byte[] bytes, int i) {
        return (bytes[i] & 0xFF) | (bytes[i + 1] & 0xFF) << 8 | (bytes[i + 2] & 0xFF) << 16 | bytes[i + 3] << 24;
    }

    /** The little-endian long at {@code bytes[i]}. */
    static long longAt(byte[] bytes, int i) {
        return (intAt(bytes, i) & 0xFFFFFFFFL) | (long) intAt(bytes, i + 4) << 32;
    }

    /** Writes {@code v} little-endian at {@code out[o]}. */
    static void putInt(byte[] out, int o, int v) {
        out[o] = (byte) v;
        out[o + 1] = (byte) (v >>> 8);
        out[o + 2] = (byte) (v >>> 16);
        out[o + 3] = (byte) (v >>> 24);
    }

    /** Writes {@code v} little-endian at {@code out[o]}. */
    static void putFloat(byte[] out, int o, float v) {
        putInt(out, o, Float.floatToRawIntBits(v));
    }

    /** Bytes this packed copy takes. */
    final long bytes() {
        return packed.byteSize();
    }

    /**
     * {@code out[t*outStride + r]} for rows in range and every token of {@code x}; arguments were
     * checked by the caller.
     */
    final void multiply(ActivationBatch x, float[] out, int outStride, int rowStart, int rowEnd) {
        if (!packed.scope().isAlive()) {
            throw new IllegalStateException("the packed weights of this matrix have been released");
        }
        // Two methods, so that the JIT compiles (and inlines into) each path on its own: compiled
        // as one, with both paths hot after a warm-up, the decode kernel lost its inlined helpers
        // and Q4_K decoded a quarter to a third slower.
        if (x.rows() < PANEL_TOKENS) {
            multiplyEach(x, out, outStride, rowStart, rowEnd);
        } else {
            multiplyPanels(x, out, outStride, rowStart, rowEnd);
        }
    }

    /** Few tokens: each reads the packed quants. */
    private void multiplyEach(ActivationBatch x, float[] out, int outStride, int rowStart, int rowEnd) {
        float[] result = SCRATCH.get().result;
        int tokens = x.rows();
        for (int g = rowStart / L; g * L < rowEnd; g++) {
            for (int t = 0; t < tokens; t++) {
                dots(x, t, g, result);
                store(result, 0, out, t * outStride, g, rowStart, rowEnd);
            }
        }
    }

    /**
     * A batch: each group's weights as a float panel, tiles of eight tokens over it. The tokens
     * after the last whole tile are a tile too, overlapping the one before (whose tokens it gives
     * again, bit for bit) or, in a batch of fewer than eight, reaching into the activation
     * buffer's spare rows (results thrown away): one pass over the panel with eight fused
     * multiply-adds per load costs less than a pass per token.
     */
    private void multiplyPanels(ActivationBatch x, float[] out, int outStride, int rowStart, int rowEnd) {
        Scratch scratch = SCRATCH.get();
        float[] result = scratch.result;
        Panel panel = scratch.panel(cols);
        int tokens = x.rows();
        int whole = tokens / TILE * TILE;
        int tail = tokens >= TILE ? tokens - TILE : (x.maxRows() >= TILE ? 0 : -1);
        for (int g = rowStart / L; g * L < rowEnd; g++) {
            fillPanel(g, panel);
            for (int t = 0; t < whole; t += TILE) {
                panelDots8(panel, x, t, result);
                for (int i = 0; i < TILE; i++) {
                    store(result, i * L, out, (t + i) * outStride, g, rowStart, rowEnd);
                }
            }
            if (whole == tokens) {
                continue;
            }
            if (tail >= 0) {
                panelDots8(panel, x, tail, result);
                for (int t = whole; t < tokens; t++) {
                    store(result, (t - tail) * L, out, t * outStride, g, rowStart, rowEnd);
                }
            } else {
                for (int t = whole; t < tokens; t++) {
                    panelDots1(panel, x, t, result);
                    store(result, 0, out, t * outStride, g, rowStart, rowEnd);
                }
            }
        }
    }

    /** Copies the lanes of {@code result[from...]} whose rows are in range to {@code out[outRow0 + row]}. */
    private static void store(float[] result, int from, float[] out, int outRow0, int g, int rowStart, int rowEnd) {
        int r0 = g * L;
        int first = Math.max(r0, rowStart);
        int end = Math.min(r0 + L, rowEnd);
        System.arraycopy(result, from + first - r0, out, outRow0 + first, end - first);
    }

    /** The dots of group {@code g}'s rows with token {@code t}, into {@code result[0..L)}. */
    abstract void dots(ActivationBatch x, int t, int g, float[] result);

    /** Writes group {@code g}'s weights as integer-valued floats, and its scales, to the panel. */
    abstract void fillPanel(int g, Panel panel);

    /** The dots of the panel's rows with tokens {@code t..t+7}, into {@code result[i*L..]} for token {@code t+i}. */
    abstract void panelDots8(Panel panel, ActivationBatch x, int t, float[] result);

    /** The same for token {@code t} alone, into {@code result[0..L)}. */
    abstract void panelDots1(Panel panel, ActivationBatch x, int t, float[] result);

    /** Loads {@code L} signed bytes at an absolute address as floats. */
    static FloatVector signedBytes(long address) {
        return (FloatVector) ByteVector.fromMemorySegment(ROW_BYTES, MEMORY, address, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.B2F, F, 0);
    }

    /** A group's weights as floats, column by column ({@code values[k*L + lane]}), and its scales. */
    static final class Panel {
        float[] values = new float[0];
        float[] scales = new float[0];
        /** Exact integer sums of a tile, one vector per token (K-quant panels). */
        final int[] ints = new int[TILE * L];

        void ensure(int valueCount, int scaleCount) {
            if (values.length < valueCount) {
                values = new float[valueCount];
            }
            if (scales.length < scaleCount) {
                scales = new float[scaleCount];
            }
        }
    }

    /** Per kernel thread: the panel and the result of a tile. */
    private static final class Scratch {
        final float[] result = new float[TILE * L];
        final Panel panel = new Panel();

        Panel panel(int cols) {
            panel.ensure(cols * L, cols * L / 16);
            return panel;
        }
    }
}
