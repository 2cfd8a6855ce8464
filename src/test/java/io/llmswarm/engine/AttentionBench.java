package io.llmswarm.engine;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Micro benchmark (a main, not a test): one thread computes the attention of one token, all 32
 * heads of 64 (4 KV heads, TinyLlama's shape), against 128, 512 and 2048 cached positions
 * ({@code -Dpositions=128,512}, {@code -Drounds=}). Prints the best time per token and layer, in
 * wall and in this thread's CPU time (on a shared machine wall time also counts other processes'
 * turns), and a hash of the outputs, so that two builds can be checked for the same results.
 */
public final class AttentionBench {
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private static final int HEADS = 32;
    private static final int KV_HEADS = 4;
    private static final int HEAD_DIM = 64;

    public static void main(String[] args) {
        String[] counts = System.getProperty("positions", "128,512,2048").split(",");
        int rounds = Integer.getInteger("rounds", 10);
        ModelConfig config = new ModelConfig("llama", 1, HEADS * HEAD_DIM, 5632, HEADS, KV_HEADS, HEAD_DIM, 32000,
                2048, 1e-5f, 10000f, 1f, HEAD_DIM, RopeStyle.NORMAL);
        for (String count : counts) {
            int positions = Integer.parseInt(count.trim());
            run(config, positions, rounds);
        }
    }

    private static void run(ModelConfig config, int positions, int rounds) {
        SplittableRandom random = new SplittableRandom(positions);
        KvCache cache = new KvCache(1, config.kvDim(), config.contextLength(), new KvCacheBudget(1L << 30));
        cache.prepare(0, positions);
        float[] key = new float[config.kvDim()];
        float[] value = new float[config.kvDim()];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < key.length; i++) {
                key[i] = (float) random.nextGaussian();
                value[i] = (float) random.nextGaussian();
            }
            cache.store(0, p, key, 0, value, 0);
        }
        cache.advanceTo(positions);
        float[] q = new float[config.queryDim()];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) (random.nextGaussian() * 0.5);
        }
        float[] out = new float[config.queryDim()];
        Attention attention = new Attention(config);
        int reps = Math.max(20, 40_000 / positions);
        double bestWall = Double.MAX_VALUE;
        double bestCpu = Double.MAX_VALUE;
        for (int round = 0; round < rounds; round++) {
            long start = System.nanoTime();
            long cpuStart = CPU.getCurrentThreadCpuTime();
            for (int r = 0; r < reps; r++) {
                for (int kvHead = 0; kvHead < config.headCountKv(); kvHead++) {
                    attention.attend(cache, 0, q, out, 0, kvHead * config.groupSize(), config.groupSize(), positions - 1);
                }
            }
            bestWall = Math.min(bestWall, (System.nanoTime() - start) / 1e3 / reps);
            bestCpu = Math.min(bestCpu, (CPU.getCurrentThreadCpuTime() - cpuStart) / 1e3 / reps);
        }
        int hash = 1;
        for (float v : out) {
            hash = 31 * hash + Float.floatToRawIntBits(v);
        }
        System.out.printf(Locale.ROOT, "%5d positions: %8.1f us wall, %8.1f us CPU per token and layer (32 heads)  hash %08x%n",
                positions, bestWall, bestCpu, hash);
    }
}
