package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;

/**
 * How activation rows are encoded before they meet a weight matrix. Mirrors llama.cpp's
 * {@code vec_dot_type}: each weight type multiplies activations that were first converted to
 * this format, so that our dot products round the same way llama.cpp's CPU backend does.
 */
public enum ActivationFormat {
    /** Plain float32 values. */
    F32(1),
    /** Values rounded to IEEE half precision (kept as floats). */
    F16(1),
    /** Values rounded to bfloat16 (kept as floats). */
    BF16(1),
    /** Blocks of 32: fp16 scale {@code d = amax/127}, quants {@code rint(x*127/amax)}. */
    Q8_0(32),
    /** Q8_0 plus {@code s = fp16(d * sum(q))} per block, for weights with an offset (Q4_1, Q5_1). */
    Q8_1(32),
    /** Blocks of 256: float32 scale, int8 quants, int16 sums of each 16 quants. */
    Q8_K(256);

    private final int blockSize;

    ActivationFormat(int blockSize) {
        this.blockSize = blockSize;
    }

    /** Values per block; a row's length must be a multiple of it. */
    public int blockSize() {
        return blockSize;
    }

    /** The format llama.cpp converts activations to before a dot product with {@code type}. */
    public static ActivationFormat forWeight(GgmlType type) {
        return switch (type) {
            case F32 -> F32;
            case F16 -> F16;
            case BF16 -> BF16;
            case Q4_0, Q5_0, Q8_0 -> Q8_0;
            case Q4_1, Q5_1 -> Q8_1;
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> Q8_K;
            default -> throw new IllegalArgumentException("no matrix multiplication for weights of type " + type);
        };
    }
}
