package io.llmswarm.bench;

import com.sun.management.OperatingSystemMXBean;
import io.llmswarm.engine.LayerRange;
import io.llmswarm.engine.ModelConfig;
import io.llmswarm.engine.ModelShard;
import io.llmswarm.engine.Session;
import io.llmswarm.engine.ShardEngine;
import io.llmswarm.engine.ShardInput;
import io.llmswarm.gguf.GgufFile;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The engine alone, no server: decode tokens/s when k sessions step together through
 * {@link ShardEngine#forward(List)}, for several k. Usage: BatchDecodeBench MODEL THREADS K,K,... STEPS
 */
public final class BatchDecodeBench {
    /** CPU time of the whole process: steadier than wall time on a shared machine. */
    private static long cpu() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        int threads = Integer.parseInt(args[1]);
        int[] ks = Arrays.stream(args[2].split(",")).mapToInt(Integer::parseInt).toArray();
        int steps = Integer.parseInt(args[3]);
        try (GgufFile gguf = GgufFile.open(file)) {
            ModelConfig config = ModelConfig.from(gguf);
            ModelShard shard = ModelShard.load(gguf, LayerRange.all(config.blockCount()), p -> { });
            // The engine closes its shard.
            try (ShardEngine engine = new ShardEngine(shard, ShardEngine.Options.defaults().withThreads(threads))) {
                engine.warmUp();
                System.out.println("| sessions | steps | tokens/s | ms per turn | CPU ms per turn |");
                System.out.println("|---:|---:|---:|---:|---:|");
                for (int round = 0; round < 2; round++) {
                    for (int k : ks) {
                        List<Session> sessions = new ArrayList<>();
                        for (int s = 0; s < k; s++) {
                            Session session = engine.openSession("s" + s);
                            sessions.add(session);
                            int offset = s;
                            int[] prompt = IntStream.range(0, 16).map(i -> 100 + 7 * i + offset).toArray();
                            engine.forward(session, IntStream.range(0, 16).toArray(), new ShardInput.Tokens(prompt), false);
                        }
                        long start = System.nanoTime();
                        long cpu0 = cpu();
                        for (int step = 0; step < steps; step++) {
                            List<ShardEngine.Step> batch = new ArrayList<>();
                            for (int s = 0; s < k; s++) {
                                batch.add(new ShardEngine.Step(sessions.get(s), new int[] {16 + step},
                                        new ShardInput.Tokens(new int[] {200 + s + step}), false,
                                        LayerRange.all(config.blockCount())));
                            }
                            engine.forward(batch);
                        }
                        double seconds = (System.nanoTime() - start) / 1e9;
                        if (round == 1) {
                            System.out.printf("| %d | %d | %.1f | %.1f | %.1f |%n", k, steps, k * steps / seconds,
                                    seconds * 1000 / steps, (cpu() - cpu0) / 1e6 / steps);
                        }
                        sessions.forEach(Session::close);
                    }
                    try (Session session = engine.openSession("prompt")) {
                        int n = 256;
                        long start = System.nanoTime();
                        long cpu0 = cpu();
                        engine.forward(session, IntStream.range(0, n).toArray(),
                                new ShardInput.Tokens(IntStream.range(0, n).map(i -> 50 + 3 * i).toArray()), false);
                        double seconds = (System.nanoTime() - start) / 1e9;
                        if (round == 1) {
                            System.out.printf("| prompt of %d | 1 | %.1f | %.1f | %.1f |%n", n, n / seconds, seconds * 1000,
                                    (cpu() - cpu0) / 1e6);
                        }
                    }
                }
            }
        }
    }
}
