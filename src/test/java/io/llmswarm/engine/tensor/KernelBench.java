package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

/**
 * Micro benchmark (a main, not a test): the matrix multiplications of one decode step of a
 * TinyLlama-shaped model (22 layers, width 2048, 4 KV heads of 64, FFN 5632, vocab 32000), with
 * weights off-heap. {@code LAYERS} distinct layers are allocated and cycled through so that the
 * working set is far larger than the caches. Prints GB/s of weights streamed and tokens/s, for
 * 1 and 2 threads, one token (decode) and a batch of 16 (prompt). The machine is shared, so
 * each figure is the median of five windows, and {@code cpu tok/s} counts the calling thread's
 * CPU time instead of wall time: with {@code -Dbench.threads=1} the caller does all the work, so
 * that column is what the kernels cost, whatever else runs.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes
 * io.llmswarm.engine.tensor.KernelBench [types...]}; {@code -Dbench.threads=1,2},
 * {@code -Dbench.batches=1,16}, {@code -Dbench.seconds=3}, {@code -Dbench.layers=4}.
 */
public final class KernelBench {
    private static final int WIDTH = 2048;
    private static final int KV_WIDTH = 256;
    private static final int FFN = 5632;
    private static final int VOCAB = 32000;
    private static final int MODEL_LAYERS = 22;
    private static final int LAYERS = Integer.getInteger("bench.layers", 4);
    private static final double SECONDS = Double.parseDouble(System.getProperty("bench.seconds", "3"));

    private record Layer(WeightMatrix[] qkv, WeightMatrix o, WeightMatrix[] gateUp, WeightMatrix down) {
    }

    public static void main(String[] args) {
        String[] types = args.length > 0 ? args : new String[] {"Q8_0", "Q4_0", "Q4_K", "Q6_K", "F16"};
        int[] threadCounts = ints(System.getProperty("bench.threads", "1,2"));
        int[] batches = ints(System.getProperty("bench.batches", "1,16"));
        System.out.println("# " + VectorWidth.describe());
        System.out.printf(Locale.ROOT, "%-5s %7s %5s %9s %10s %11s%n", "type", "threads", "batch", "GB/s", "tokens/s", "cpu tok/s");
        for (String name : types) {
            GgmlType type = GgmlType.valueOf(name);
            try (Arena arena = Arena.ofShared()) {
                Layer[] layers = new Layer[LAYERS];
                for (int l = 0; l < LAYERS; l++) {
                    layers[l] = new Layer(
                            new WeightMatrix[] {matrix(arena, type, WIDTH, WIDTH, l), matrix(arena, type, KV_WIDTH, WIDTH, l),
                                    matrix(arena, type, KV_WIDTH, WIDTH, l)},
                            matrix(arena, type, WIDTH, WIDTH, l),
                            new WeightMatrix[] {matrix(arena, type, FFN, WIDTH, l), matrix(arena, type, FFN, WIDTH, l)},
                            matrix(arena, type, WIDTH, FFN, l));
                }
                WeightMatrix head = matrix(arena, type, VOCAB, WIDTH, 99);
                long bytesPerToken = MODEL_LAYERS * layerBytes(layers[0]) + bytes(head);
                for (int threads : threadCounts) {
                    try (MatMul matMul = new MatMul(threads)) {
                        for (int batch : batches) {
                            double[] seconds = timeStep(matMul, layers, head, batch);
                            System.out.printf(Locale.ROOT, "%-5s %7d %5d %9.1f %10.1f %11.1f%n", name, threads, batch,
                                    bytesPerToken / seconds[0] / 1e9, batch / seconds[0], batch / seconds[1]);
                        }
                    }
                }
            }
        }
    }

    /**
     * Seconds per step (one forward pass of {@code batch} tokens through all matrices): wall
     * time, then the calling thread's CPU time, each the median of five windows.
     */
    private static double[] timeStep(MatMul matMul, Layer[] layers, WeightMatrix head, int batch) {
        ActivationFormat format = head.activationFormat();
        ActivationBatch width = new ActivationBatch(format, batch, WIDTH);
        ActivationBatch ffn = new ActivationBatch(format, batch, FFN);
        width.encode(RandomWeights.activations(batch, WIDTH, 1), 0, batch);
        ffn.encode(RandomWeights.activations(batch, FFN, 2), 0, batch);
        float[][] qkv = {new float[batch * WIDTH], new float[batch * KV_WIDTH], new float[batch * KV_WIDTH]};
        float[] attention = new float[batch * WIDTH];
        float[][] gateUp = {new float[batch * FFN], new float[batch * FFN]};
        float[] logits = new float[batch * VOCAB];
        // Warm up (JIT), then measure whole steps for about SECONDS.
        long warmUntil = System.nanoTime() + (long) (SECONDS / 2 * 1e9);
        while (System.nanoTime() < warmUntil) {
            step(matMul, layers, head, width, ffn, qkv, attention, gateUp, logits);
        }
        // The machine is shared: report the median of five windows.
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        double[] windows = new double[5];
        double[] cpuWindows = new double[5];
        for (int w = 0; w < windows.length; w++) {
            int steps = 0;
            long start = System.nanoTime();
            long cpuStart = cpu.getCurrentThreadCpuTime();
            long end;
            do {
                step(matMul, layers, head, width, ffn, qkv, attention, gateUp, logits);
                steps++;
                end = System.nanoTime();
            } while (end - start < SECONDS / windows.length * 1e9);
            cpuWindows[w] = (cpu.getCurrentThreadCpuTime() - cpuStart) / 1e9 / steps;
            windows[w] = (end - start) / 1e9 / steps;
        }
        Arrays.sort(windows);
        Arrays.sort(cpuWindows);
        return new double[] {windows[windows.length / 2], cpuWindows[cpuWindows.length / 2]};
    }

    private static void step(MatMul matMul, Layer[] layers, WeightMatrix head, ActivationBatch width, ActivationBatch ffn,
            float[][] qkv, float[] attention, float[][] gateUp, float[] logits) {
        for (int l = 0; l < MODEL_LAYERS; l++) {
            Layer layer = layers[l % layers.length];
            matMul.multiply(layer.qkv(), width, qkv);
            matMul.multiply(layer.o(), width, attention);
            matMul.multiply(layer.gateUp(), width, gateUp);
            matMul.multiply(layer.down(), ffn, attention);
        }
        matMul.multiply(head, width, logits);
    }

    private static int[] ints(String list) {
        return Arrays.stream(list.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    private static WeightMatrix matrix(Arena arena, GgmlType type, int rows, int cols, long seed) {
        MemorySegment data = RandomWeights.matrix(arena, type, rows, cols, seed);
        return WeightMatrix.of(type, data, rows, cols);
    }

    private static long layerBytes(Layer layer) {
        long sum = bytes(layer.o()) + bytes(layer.down());
        for (WeightMatrix w : layer.qkv()) {
            sum += bytes(w);
        }
        for (WeightMatrix w : layer.gateUp()) {
            sum += bytes(w);
        }
        return sum;
    }

    private static long bytes(WeightMatrix w) {
        return w.type().byteSize((long) w.rows() * w.cols());
    }
}
