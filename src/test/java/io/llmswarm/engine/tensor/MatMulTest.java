package io.llmswarm.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class MatMulTest {
    private static final Arena ARENA = Arena.ofShared();

    @AfterAll
    static void free() {
        ARENA.close();
    }

    private static SegmentMatrix matrix(GgmlType type, int rows, int cols, long seed) {
        return (SegmentMatrix) WeightMatrix.of(type, RandomWeights.matrix(ARENA, type, rows, cols, seed), rows, cols);
    }

    @Test
    void parallelMultiplyEqualsSingleThreadedKernel() {
        SegmentMatrix w = matrix(GgmlType.Q4_K, 1000, 512, 1);
        ActivationBatch x = new ActivationBatch(ActivationFormat.Q8_K, 5, 512);
        x.encode(RandomWeights.activations(5, 512, 2), 0, 5);
        float[] expected = new float[5 * 1000];
        w.multiply(x, expected, 1000, 0, 1000);
        try (MatMul matMul = new MatMul(3)) {
            for (int round = 0; round < 20; round++) {
                float[] out = new float[5 * 1000];
                matMul.multiply(w, x, out);
                for (int i = 0; i < out.length; i++) {
                    assertEquals(expected[i], out[i], "round " + round + " index " + i);
                }
            }
        }
    }

    /**
     * A token multiplied alone gives bit for bit what it gives inside a batch (where 4-token tiles
     * are used): a prompt processed in one pass and the same tokens one by one must agree, or a
     * fail-over that replays a session would not continue the same greedy text.
     */
    @Test
    void aTokenAloneEqualsTheSameTokenInABatch() {
        GgmlType[] types = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1,
                GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K};
        int rows = 40;
        int cols = 512;
        int tokens = 9;
        for (GgmlType type : types) {
            SegmentMatrix w = matrix(type, rows, cols, 11);
            float[] activations = RandomWeights.activations(tokens, cols, 12);
            ActivationBatch batch = new ActivationBatch(w.activationFormat(), tokens, cols);
            batch.encode(activations, 0, tokens);
            float[] together = new float[tokens * rows];
            w.multiply(batch, together, rows, 0, rows);
            for (int t = 0; t < tokens; t++) {
                ActivationBatch one = new ActivationBatch(w.activationFormat(), 1, cols);
                one.encode(Arrays.copyOfRange(activations, t * cols, (t + 1) * cols), 0, 1);
                float[] alone = new float[rows];
                w.multiply(one, alone, rows, 0, rows);
                for (int r = 0; r < rows; r++) {
                    assertEquals(together[t * rows + r], alone[r], 0f, type + " token " + t + " row " + r);
                }
            }
        }
    }

    @Test
    void severalMatricesShareOneInput() {
        SegmentMatrix q = matrix(GgmlType.Q8_0, 300, 256, 3);
        SegmentMatrix k = matrix(GgmlType.Q4_0, 37, 256, 4);
        SegmentMatrix v = matrix(GgmlType.Q5_0, 65, 256, 5);
        ActivationBatch x = new ActivationBatch(ActivationFormat.Q8_0, 2, 256);
        x.encode(RandomWeights.activations(2, 256, 6), 0, 2);
        float[][] outs = {new float[2 * 300], new float[2 * 37], new float[2 * 65]};
        try (MatMul matMul = new MatMul(2)) {
            matMul.multiply(new WeightMatrix[] {q, k, v}, x, outs);
        }
        SegmentMatrix[] ws = {q, k, v};
        for (int m = 0; m < 3; m++) {
            float[] expected = new float[outs[m].length];
            ws[m].multiplyReference(x, expected, ws[m].rows(), 0, ws[m].rows());
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], outs[m][i], 1e-3f * Math.max(1, Math.abs(expected[i])), "matrix " + m + " index " + i);
            }
        }
    }

    @Test
    void parallelForVisitsEveryIndexOnce() {
        try (MatMul matMul = new MatMul(2)) {
            for (int n : new int[] {1, 2, 7, 32, 1001}) {
                AtomicIntegerArray visits = new AtomicIntegerArray(n);
                matMul.parallelFor(n, (start, end) -> {
                    for (int i = start; i < end; i++) {
                        visits.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertEquals(1, visits.get(i), "n " + n + " index " + i);
                }
            }
        }
    }

    @Test
    void failureInAWorkerReachesTheCaller() {
        try (MatMul matMul = new MatMul(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> matMul.parallelFor(64, (start, end) -> {
                if (start > 0) {
                    throw new IllegalStateException("boom at " + start);
                }
            }));
            assertEquals(true, e.getMessage().startsWith("boom"));
            // The pool still works afterwards.
            AtomicIntegerArray visits = new AtomicIntegerArray(10);
            matMul.parallelFor(10, (start, end) -> visits.incrementAndGet(start));
        }
    }

    @Test
    void nestedParallelForRunsInlineInsteadOfDeadlocking() {
        try (MatMul matMul = new MatMul(2)) {
            AtomicIntegerArray visits = new AtomicIntegerArray(8 * 8);
            matMul.parallelFor(8, (start, end) -> {
                for (int i = start; i < end; i++) {
                    int outer = i;
                    matMul.parallelFor(8, (s2, e2) -> {
                        for (int k = s2; k < e2; k++) {
                            visits.incrementAndGet(outer * 8 + k);
                        }
                    });
                }
            });
            for (int i = 0; i < 64; i++) {
                assertEquals(1, visits.get(i), "index " + i);
            }
        }
    }

    @Test
    void closedPoolRefusesWork() {
        MatMul matMul = new MatMul(2);
        matMul.close();
        assertThrows(IllegalStateException.class, () -> matMul.parallelFor(4, (start, end) -> { }));
    }

    @Test
    void rejectsMismatchedOutputs() {
        SegmentMatrix w = matrix(GgmlType.F32, 8, 16, 1);
        ActivationBatch x = new ActivationBatch(ActivationFormat.F32, 2, 16);
        x.encode(new float[32], 0, 2);
        try (MatMul matMul = new MatMul(2)) {
            assertThrows(IllegalArgumentException.class, () -> matMul.multiply(w, x, new float[15]));
            assertThrows(IllegalArgumentException.class,
                    () -> matMul.multiply(new WeightMatrix[] {w}, x, new float[][] {new float[16], new float[16]}));
        }
    }
}
