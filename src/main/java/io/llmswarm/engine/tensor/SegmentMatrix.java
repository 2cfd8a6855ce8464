package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShuffle;
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
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Kernels are written for 16 float lanes (AVX-512), which is this machine's preferred shape. */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    static final VectorSpecies<Short> S = ShortVector.SPECIES_256;

    /**
     * All of memory. Vector kernels read native weights through it by absolute address: its
     * bounds check is cheaper than a slice's, which is worth ~25% on the hot path. Offsets are
     * safe because the slice's size was checked against the matrix shape up front.
     */
    private static final MemorySegment ALL_MEMORY = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private static final VectorShuffle<Float> SWAP_8 = VectorShuffle.fromOp(F, i -> i ^ 8);
    private static final VectorShuffle<Float> SWAP_4 = VectorShuffle.fromOp(F, i -> i ^ 4);
    private static final VectorShuffle<Float> SWAP_2 = VectorShuffle.fromOp(F, i -> i ^ 2);
    private static final VectorShuffle<Float> SWAP_1 = VectorShuffle.fromOp(F, i -> i ^ 1);

    final GgmlType type;
    final MemorySegment data;
    /** What vector kernels read: all of memory for native weights, else the segment itself. */
    final MemorySegment memory;
    /** Where row 0 starts in {@link #memory}. */
    final long base;
    final int rows;
    final int cols;
    final long rowBytes;

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

    @Override
    public final void multiply(ActivationBatch x, float[] out, int outStride, int rowStart, int rowEnd) {
        checkMultiply(x, out, outStride, rowStart, rowEnd);
        if (!data.scope().isAlive()) {
            throw new IllegalStateException("the memory of this " + type + " matrix has been released");
        }
        if (rowStart < rowEnd && x.rows() > 0) {
            multiplyRows(x, out, outStride, rowStart, rowEnd);
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

    /** Vectorised kernel: rows in range times every activation row; arguments already checked. */
    abstract void multiplyRows(ActivationBatch x, float[] out, int outStride, int rowStart, int rowEnd);

    /** Plain scalar kernel for one dot product, with the same formula as llama.cpp's. */
    abstract float referenceDot(int row, ActivationBatch x, int t);

    /** Dequantizes the row starting at byte {@code offset}. */
    abstract void dequantize(long offset, float[] dst, int dstOffset);

    /**
     * Sum of the lanes in a fixed order. {@code reduceLanes} sums in a different order once
     * compiled than when interpreted, which would make results depend on JIT state.
     */
    static float sumLanes(FloatVector v) {
        FloatVector s = v.add(v.rearrange(SWAP_8));
        s = s.add(s.rearrange(SWAP_4));
        s = s.add(s.rearrange(SWAP_2));
        s = s.add(s.rearrange(SWAP_1));
        return s.lane(0);
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
