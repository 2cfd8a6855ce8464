package io.llmswarm.engine.tensor;

/**
 * A table read one row at a time (the token embedding): its weights stay where they are, in the
 * mapped file, and are never multiplied.
 */
public interface RowTable {

    int rows();

    int cols();

    /** Writes row {@code row} as {@code cols} floats to {@code dst[dstOffset...]}. */
    void dequantizeRow(int row, float[] dst, int dstOffset);
}
