package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

/**
 * Micro benchmark (a main, not a test): one thread streams one large matrix (32768 x 2048) of
 * each type through {@link WeightMatrix#multiply} for a single token ({@code -Drows=}, {@code -Dtokens=}). Isolates a kernel's speed
 * per element from the dispatch and shapes of {@link KernelBench}. The hash of the output, computed
 * after the JIT compiled the kernels, lets runs at different vector widths be compared.
 */
public final class SingleMatrixBench {
    /** CPU time of this thread: on a shared machine wall time also counts other processes' turns. */
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    public static void main(String[] args) {
        String[] types = args.length > 0 ? args : new String[] {"Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K", "F16"};
        int rows = Integer.getInteger("rows", 32768);
        int tokens = Integer.getInteger("tokens", 1);
        int cols = 2048;
        for (String name : types) {
            GgmlType type = GgmlType.valueOf(name);
            try (Arena arena = Arena.ofShared()) {
                WeightMatrix w = WeightMatrix.of(type, RandomWeights.matrix(arena, type, rows, cols, 1), rows, cols);
                ActivationBatch x = new ActivationBatch(w.activationFormat(), tokens, cols);
                x.encode(RandomWeights.activations(tokens, cols, 2), 0, tokens);
                float[] out = new float[rows * tokens];
                double best = 0;
                double bestCpu = 0;
                int reps = Math.max(5, 5 * 32768 / rows / tokens);
                for (int round = 0; round < 8; round++) {
                    long start = System.nanoTime();
                    long cpuStart = CPU.getCurrentThreadCpuTime();
                    for (int r = 0; r < reps; r++) {
                        w.multiply(x, out, rows, 0, rows);
                    }
                    best = Math.max(best, (double) reps * rows * cols * tokens / (System.nanoTime() - start));
                    bestCpu = Math.max(bestCpu, (double) reps * rows * cols * tokens / (CPU.getCurrentThreadCpuTime() - cpuStart));
                }
                System.out.printf(Locale.ROOT, "%-5s %6.2f Gelem/s %6.2f GB/s (%d tokens: products per ns); per CPU second %6.2f Gelem/s;"
                        + " output hash %08x (%s)%n", name, best, best * type.typeSize() / type.blockSize() / tokens, tokens, bestCpu,
                        Arrays.hashCode(out), VectorWidth.describe());
            }
        }
    }
}
