package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * What every stored matrix shares: the segment in the file's layout, its geometry, argument
 * checks, row dequantization, and a plain scalar reference kernel (tests compare the packed
 * kernels with it). Multiplication goes to the packed copy ({@link PackedMatrix}).
 */
abstract sealed class SegmentMatrix implements WeightMatrix
        permits F32Matrix, F16Matrix, Bf16Matrix, Q80Matrix, Q40Matrix, Q41Matrix, Q50Matrix,
                Q4KMatrix, Q5KMatrix, Q6KMatrix {

    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    final GgmlType type;
    final MemorySegment data;
    final int rows;
    final int cols;
    final long rowBytes;
    /** The weights repacked for the vector kernels; null for a table read in place (set once, before use). */
    private PackedMatrix packed;

    SegmentMatrix(GgmlType type, MemorySegment data, int rows, int cols) {
        this.type = type;
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = type.byteSize(cols);
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

    /** Repacks the weights into {@code arena} for the vector kernels; returns the bytes the copy takes. */
    final long pack(Arena arena) {
        packed = packedCopy(arena);
        return packed.bytes();
    }

    /** A copy of these weights in the layout of this type's kernels. */
    abstract PackedMatrix packedCopy(Arena arena);

    @Override
    public final long packedBytes() {
        return packed == null ? 0 : packed.bytes();
    }

    @Override
    public final void multiply(ActivationBatch x, float[] out, int outStride, int rowStart, int rowEnd) {
        checkMultiply(x, out, outStride, rowStart, rowEnd);
        if (packed == null) {
            throw new IllegalStateException("this " + type + " table is read row by row in place; it was not packed"
                    + " for multiplication");
        }
        if (rowStart < rowEnd && x.rows() > 0) {
            packed.multiply(x, out, outStride, rowStart, rowEnd);
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

    /** Plain scalar kernel for one dot product, with the same formula as llama.cpp's. */
    abstract float referenceDot(int row, ActivationBatch x, int t);

    /** Dequantizes the row starting at byte {@code offset}. */
    abstract void dequantize(long offset, float[] dst, int dstOffset);

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
