package io.llmswarm.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * One entry of a GGUF tensor index.
 *
 * @param name the tensor's name, e.g. {@code blk.0.attn_q.weight}
 * @param type its element type
 * @param shape its dimensions as GGUF stores them: {@code ne0} (the contiguous row length) first
 * @param offset where its data starts, counted from the start of the file's data section
 */
public record TensorInfo(String name, GgmlType type, long[] shape, long offset) {

    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        shape = shape.clone();
    }

    /** The shape, copied. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Dimension {@code i} ({@code ne[i]}), 1 beyond the stored dimensions as in GGML. */
    public long dim(int i) {
        return i < shape.length ? shape[i] : 1;
    }

    /** The number of dimensions stored. */
    public int rank() {
        return shape.length;
    }

    public long elementCount() {
        long count = 1;
        for (long dim : shape) {
            count = Math.multiplyExact(count, dim);
        }
        return count;
    }

    /** Bytes of data this tensor takes. */
    public long byteSize() {
        return type.byteSize(elementCount());
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TensorInfo that && name.equals(that.name) && type == that.type
                && Arrays.equals(shape, that.shape) && offset == that.offset;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, Arrays.hashCode(shape), offset);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape) + " @" + offset;
    }
}
