package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * What every stored matrix shares: the segment, its geometry, argument checks, and a scalar
 * reference kernel next to the vectorised one (tests compare the two).
 */
abstract sealed class SegmentMatrix implements WeightMatrix
        permits F32Matrix, F16Matrix, Bf16Matrix, Q80Matrix, Q40Matrix, Q41Matrix, Q50Matrix,
                Q4KMatrix, Q5KMatrix, Q6KMatrix {

    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /**
     * 512-bit species for the in-place kernels that are written for 16 float lanes: only Q4_K,
     * Q5_K and Q6_K are left, and they run many times slower where the machine's vectors are
     * narrower. Every other type is packed ({@link PackedMatrix}) and uses
     * {@link VectorWidth#FLOATS}. These four fields, {@link #sumLanes}, {@link #floats},
     * {@link #multiplyRows} and the token tiles go once the K-quants are packed too.
     */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    static final VectorSpecies<Short> S = ShortVector.SPECIES_256;

    /**
     * All of memory. Vector kernels read native weights through it by absolute address: its
     * bounds check is cheaper than a slice's, which is worth ~25% on the hot path. Offsets are
     * safe because the slice's size was checked against the matrix shape up front.
     */
    /** Activation bytes per token tile: a quarter of a 1 MiB L2, the rest for weight rows. */
    static final long TILE_BYTES = 256 * 1024;

    private static final MemorySegment ALL_MEMORY = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    final GgmlType type;
    final MemorySegment data;
    /** What vector kernels read: all of memory for native weights, else the segment itself. */
    final MemorySegment memory;
    /** Where row 0 starts in {@link #memory}. */
    final long base;
    final int rows;
    final int cols;
    final long rowBytes;
    /** The weights repacked for the vector kernels, or null where this type has none (set once, before use). */
    private PackedMatrix packed;

    SegmentMatrix(GgmlType type, MemorySegment data, int rows, int cols) {
        this.type = type;
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = type.byteSize(cols);
        this.memory = data.isNative() ? ALL_MEMORY : data;
        this.base = data.isNative() ? data.address() : 0;
    }

    @Override
    public final GgmlType type() {
        return type;
    }

    @Override
    public final int rows() {
        return rows;
    }

    @Override
    public final int cols() {
        return cols;
    }

    @Override
    public final ActivationFormat activationFormat() {
        return ActivationFormat.forWeight(type);
    }

    /**
     * Repacks the weights into {@code arena} for the vector kernels, where this type has packed
     * kernels; returns the bytes the copy takes (0 when there is none).
     */
    final long pack(Arena arena) {
        packed = packedCopy(arena);
        return packed == null ? 0 : packed.bytes();
    }

    /** A packed copy of these weights, or null where the in-place kernels are used. */
    PackedMatrix packedCopy(Arena arena) {
        return null;
    }

    @Override
    public final long packedBytes() {
        return packed == null ? 0 : packed.bytes();
    }

    @Override
    public final void multiply(ActivationBatch x, float[] out, int outStride, int rowStart, int rowEnd) {
        checkMultiply(x, out, outStride, rowStart, rowEnd);
        if (packed != null) {
            if (rowStart < rowEnd && x.rows() > 0) {
                packed.multiply(x, out, outStride, rowStart, rowEnd);
            }
            return;
        }
        if (!data.scope().isAlive()) {
            throw new IllegalStateException("the memory of this " + type + " matrix has been released");
        }
        if (rowStart < rowEnd && x.rows() > 0) {
            // A batch goes through in tiles of tokens whose activations stay in cache while
            // the rows of this range are read once per tile.
            int tile = tokenTile(cols);
            for (int t = 0; t < x.rows(); t += tile) {
                multiplyRows(x, t, Math.min(x.rows(), t + tile), out, outStride, rowStart, rowEnd);
            }
        }
    }

    /** The same as {@link #multiply} through the plain scalar kernel. */
    final void multiplyReference(ActivationBatch x, float[] out, int outStride, int rowStart, int rowEnd) {
        checkMultiply(x, out, outStride, rowStart, rowEnd);
        for (int r = rowStart; r < rowEnd; r++) {
            for (int t = 0; t < x.rows(); t++) {
                out[t * outStride + r] = referenceDot(r, x, t);
            }
        }
    }

    @Override
    public final void dequantizeRow(int row, float[] dst, int dstOffset) {
        Objects.checkIndex(row, rows);
        Objects.checkFromIndexSize(dstOffset, cols, dst.length);
        dequantize(row * rowBytes, dst, dstOffset);
    }

    private void checkMultiply(ActivationBatch x, float[] out, int outStride, int rowStart, int rowEnd) {
        if (x.format() != activationFormat() || x.cols() != cols) {
            throw new IllegalArgumentException("a " + type + " matrix of " + rows + " x " + cols + " needs "
                    + activationFormat() + " activations of " + cols + " cols, got " + x.format() + " of " + x.cols());
        }
        Objects.checkFromToIndex(rowStart, rowEnd, rows);
        if (x.rows() > 0 && rowEnd > rowStart) {
            if (outStride < rowEnd) {
                throw new IllegalArgumentException("outStride " + outStride + " is shorter than row end " + rowEnd);
            }
            Objects.checkIndex((long) (x.rows() - 1) * outStride + rowEnd - 1, out.length);
        }
    }

    /** Tokens per tile: a multiple of four whose float activations take about {@link #TILE_BYTES}. */
    static int tokenTile(int cols) {
        return Math.max(4, (int) (TILE_BYTES / (4L * cols)) & ~3);
    }

    /**
     * In-place kernel: rows in range times activation rows {@code [tokenStart, tokenEnd)};
     * arguments already checked. Types with packed kernels never get here.
     */
    void multiplyRows(ActivationBatch x, int tokenStart, int tokenEnd, float[] out, int outStride, int rowStart, int rowEnd) {
        throw new IllegalStateException(type + " weights are multiplied by their packed kernels");
    }

    /** Plain scalar kernel for one dot product, with the same formula as llama.cpp's. */
    abstract float referenceDot(int row, ActivationBatch x, int t);

    /** Dequantizes the row starting at byte {@code offset}. */
    abstract void dequantize(long offset, float[] dst, int dstOffset);

    /**
     * Sum of the 16 lanes of a 512-bit vector in a fixed order, through {@code lanes} (16 floats
     * of scratch); for the in-place K-quant kernels only.
     * {@code reduceLanes} sums in a different order once compiled than when interpreted, which
     * would make results depend on JIT state. Tiny on purpose: the JIT must inline it, or the
     * vector would be boxed.
     */
    static float sumLanes(FloatVector v, float[] lanes) {
        v.intoArray(lanes, 0);
        return sum16(lanes);
    }

    private static float sum16(float[] a) {
        float s0 = (a[0] + a[8]) + (a[4] + a[12]);
        float s1 = (a[1] + a[9]) + (a[5] + a[13]);
        float s2 = (a[2] + a[10]) + (a[6] + a[14]);
        float s3 = (a[3] + a[11]) + (a[7] + a[15]);
        return (s0 + s2) + (s1 + s3);
    }

    static FloatVector floats(IntVector v) {
        return (FloatVector) v.convertShape(VectorOperators.I2F, F, 0);
    }

    /** An fp16 at an absolute offset in {@link #memory}. */
    final float halfAt(long address) {
        return Float.float16ToFloat(memory.get(SHORT_LE, address));
    }

    final float half(long offset) {
        return Float.float16ToFloat(data.get(SHORT_LE, offset));
    }

    final int unsignedByte(long offset) {
        return data.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }

    final int signedByte(long offset) {
        return data.get(ValueLayout.JAVA_BYTE, offset);
    }
}
