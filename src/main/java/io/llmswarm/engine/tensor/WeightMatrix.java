package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A weight matrix {@code [rows, cols]} (GGUF {@code ne0 = cols}, {@code ne1 = rows}) read in
 * place from a memory segment, typically a slice of a memory-mapped GGUF file. Weights are never
 * copied to the heap.
 */
public sealed interface WeightMatrix extends RowTable permits SegmentMatrix {

    /**
     * Wraps {@code data} as a matrix of {@code type}. Throws {@link IllegalArgumentException} for a
     * type without kernels, a row length that is not a whole number of blocks, or a segment whose
     * size is not exactly {@code rows} rows.
     */
    static WeightMatrix of(GgmlType type, MemorySegment data, int rows, int cols) {
        return of(type, data, rows, cols, Arena.ofAuto());
    }

    /**
     * As {@link #of(GgmlType, MemorySegment, int, int)}; types with packed kernels copy their
     * weights into {@code arena} in the layout those kernels read (see {@link #packedBytes()}), and
     * {@code data} is not read by {@link #multiply} any more.
     */
    static WeightMatrix of(GgmlType type, MemorySegment data, int rows, int cols, Arena arena) {
        SegmentMatrix matrix = inPlace(type, data, rows, cols);
        matrix.pack(arena);
        return matrix;
    }

    /** {@code data} read in place, one row at a time (the token embedding): nothing is copied. */
    static RowTable rowTable(GgmlType type, MemorySegment data, int rows, int cols) {
        return inPlace(type, data, rows, cols);
    }

    private static SegmentMatrix inPlace(GgmlType type, MemorySegment data, int rows, int cols) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("weight matrix needs positive rows and cols, got " + rows + " x " + cols);
        }
        if (cols % type.blockSize() != 0) {
            throw new IllegalArgumentException("a " + type + " row holds blocks of " + type.blockSize()
                    + " values; cols = " + cols + " is not a multiple");
        }
        long expected = (long) rows * type.byteSize(cols);
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("a " + type + " matrix of " + rows + " x " + cols + " takes "
                    + expected + " bytes; the segment has " + data.byteSize());
        }
        return switch (type) {
            case F32 -> new F32Matrix(data, rows, cols);
            case F16 -> new F16Matrix(data, rows, cols);
            case BF16 -> new Bf16Matrix(data, rows, cols);
            case Q8_0 -> new Q80Matrix(data, rows, cols);
            case Q4_0 -> new Q40Matrix(data, rows, cols);
            case Q4_1 -> new Q41Matrix(data, rows, cols);
            case Q5_0 -> new Q50Matrix(data, rows, cols);
            case Q4_K -> new Q4KMatrix(data, rows, cols);
            case Q5_K -> new Q5KMatrix(data, rows, cols);
            case Q6_K -> new Q6KMatrix(data, rows, cols);
            default -> throw new IllegalArgumentException("no matrix kernels for weights of type " + type
                    + "; supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q4_K, Q5_K, Q6_K");
        };
    }

    GgmlType type();

    /** The format activations must be encoded in before {@link #multiply}. */
    ActivationFormat activationFormat();

    /**
     * {@code out[t*outStride + r] = dot(row r, activation row t)} for {@code r} in
     * {@code [rowStart, rowEnd)} and {@code t < x.rows()}.
     */
    void multiply(ActivationBatch x, float[] out, int outStride, int rowStart, int rowEnd);

    /** Bytes of the packed copy the kernels read, or 0 when they read the weights in place. */
    long packedBytes();

}
