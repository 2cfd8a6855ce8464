package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Collection;

/**
 * Gets the kernels of a shard's matrices compiled before real work reaches them. The JIT
 * compiles a kernel fully (C2, with the Vector API as SIMD instructions) only after it has run
 * often enough (invocations plus loop iterations); until then it runs as slow generic code, which
 * on a large model costs the first requests seconds. Two groups of rows of each kind of matrix
 * (type and row length), multiplied a thousand times, get there in a fraction of a second.
 *
 * <p>The rows must be as long as the real ones: compiled on a profile of tiny loops (256
 * columns) the same kernels decoded a TinyLlama-shaped Q4_K model at half the speed.
 */
public final class KernelWarmUp {
    /** With real row lengths, above C2's thresholds (600 calls and 15,000 calls plus loop iterations). */
    private static final int ROUNDS = 1_000;

    private KernelWarmUp() {
    }

    /** A type of weights and a row length that a shard multiplies. */
    public record Kind(GgmlType type, int cols) {
    }

    /**
     * Runs the batch kernels of each kind on a small all-zero matrix. Not the one-token kernels:
     * compiled on this profile they decoded a TinyLlama-shaped Q4_K model at 21-23 tok/s in some
     * runs against 35-40 when compiled during real decoding (which the first tokens pay for, a
     * few hundred milliseconds); the batch kernels alone took the time to first token from
     * 330-385 ms to 180-200 ms with no such cost.
     */
    public static void warmUp(Collection<Kind> kinds) {
        try (Arena arena = Arena.ofConfined()) {
            for (Kind kind : kinds) {
                GgmlType type = kind.type();
                int rows = 2 * VectorWidth.LANES;
                int cols = kind.cols();
                MemorySegment data = arena.allocate(rows * type.byteSize(cols), 64);
                WeightMatrix w = WeightMatrix.of(type, data, rows, cols, arena);
                ActivationBatch batch = new ActivationBatch(w.activationFormat(), PackedMatrix.TILE + 1, cols);
                batch.encode(new float[batch.maxRows() * cols], 0, batch.maxRows());
                float[] out = new float[batch.maxRows() * rows];
                for (int i = 0; i < ROUNDS; i++) {
                    w.multiply(batch, out, rows, 0, rows);
                }
            }
        }
    }
}
