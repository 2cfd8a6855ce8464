package io.llmswarm.cli;

import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.SwarmCluster;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.engine.LayerRange;
import io.llmswarm.engine.ModelConfig;
import io.llmswarm.engine.ShardEngine;
import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.gguf.ModelMaker;
import io.llmswarm.gguf.ModelSpec;
import io.llmswarm.inference.GenerationRequest;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Decode speed of a 4-process pipeline on this host against the single-process engine, same model
 * (TinyLlama's shape, Q8_0, written once), and the time per hop spent outside the engine. After a
 * warm-up of 3-6 minutes (until the pipeline's speed settles) the two run in turns, several
 * rounds, so that a shared machine's changing load hits both alike; medians are reported. Not a test: run with {@code java <node JVM options> -cp <test classpath>
 * io.llmswarm.cli.SwarmBench [model.gguf] [tokens] [threads] [rounds]}.
 */
public final class SwarmBench {

    private static final String PROMPT = "Once upon a time";
    private static final int NODES = 4;
    private static final Duration MIN_WARM_UP = Duration.ofMinutes(3);
    private static final Duration MAX_WARM_UP = Duration.ofMinutes(6);

    private SwarmBench() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("hazelcast.wait.seconds.before.join", "0");
        System.setProperty("hazelcast.logging.type", "none");
        Path model = Path.of(args.length > 0 ? args[0] : "target/bench/tinyllama-q8_0.gguf");
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        if (!Files.exists(model)) {
            Files.createDirectories(model.toAbsolutePath().getParent());
            ModelMaker.write(ModelSpec.tinyLlama(GgmlType.Q8_0), model);
        }
        String fingerprint;
        int blocks;
        try (GgufFile file = GgufFile.open(model)) {
            fingerprint = file.fingerprint();
            blocks = ModelConfig.from(file).blockCount();
        }
        String[] layers = split(blocks, NODES);
        TestClusters cluster = new TestClusters(NODES + 1);
        String join = String.join(",", cluster.memberAddresses().subList(0, NODES));
        try (NodeProcesses processes = new NodeProcesses(Files.createTempDirectory("swarm-bench"));
             LocalModel local = LocalModel.load(model, new ShardEngine.Options(threads, 64, 1L << 30), n -> { })) {
            for (int i = 0; i < NODES; i++) {
                processes.start(model, cluster.name(), join,
                        new NodeProcesses.Node(layers[i], cluster.member(i).port(), threads, "768m"));
            }
            processes.awaitStarted(Duration.ofMinutes(2));
            SwarmCluster client = SwarmCluster.join(cluster.member(NODES).asLiteMember()).await(60, TimeUnit.SECONDS);
            try {
                TestClusters.awaitTrue(Duration.ofMinutes(3),
                        () -> client.announcements().view(fingerprint, blocks).isReady(), () -> "readiness" + processes.logs());
                int[] prompt = local.tokenizer().encode(PROMPT, true, false);
                GenerationRequest single = new GenerationRequest(prompt, tokens, SamplingConfig.greedy(), true);
                JsonObject pipelined = new JsonObject().put("prompt", PROMPT).put("max_tokens", tokens)
                        .put("temperature", 0).put("ignore_eos", true);
                DeliveryOptions delivery = new DeliveryOptions().setSendTimeout(600_000);
                // Warm up until the pipeline's speed settles: each node runs its message paths ~20
                // times a second, so the JIT takes minutes to compile them fully; a pipeline still
                // compiling reads 10-30% slow.
                long warmFrom = System.nanoTime();
                double previous = 0;
                int settled = 0;
                while (settled < 2 && System.nanoTime() - warmFrom < MAX_WARM_UP.toNanos()) {
                    local.generator().generate("warm", single, t -> true);
                    double rate = client.vertx().eventBus().<JsonObject>request(Addresses.GENERATE, pipelined, delivery)
                            .await(10, TimeUnit.MINUTES).body().getJsonObject("metadata").getDouble("decode_tokens_per_second");
                    boolean steady = System.nanoTime() - warmFrom > MIN_WARM_UP.toNanos()
                            && Math.abs(rate - previous) < 0.03 * rate;
                    settled = steady ? settled + 1 : 0;
                    previous = rate;
                }
                System.out.printf("warm-up: %.0f s, pipeline at %.2f tokens/s%n",
                        (System.nanoTime() - warmFrom) / 1e9, previous);
                double[] singleRates = new double[rounds];
                double[] pipelineRates = new double[rounds];
                double[] outsidePerHop = new double[rounds];
                JsonObject lastHops = null;
                for (int r = 0; r < rounds; r++) {
                    singleRates[r] = local.generator().generate("bench", single, t -> true).decodeTokensPerSecond();
                    JsonObject metadata = client.vertx().eventBus().<JsonObject>request(Addresses.GENERATE, pipelined,
                            delivery).await(10, TimeUnit.MINUTES).body().getJsonObject("metadata");
                    pipelineRates[r] = metadata.getDouble("decode_tokens_per_second");
                    lastHops = metadata.getJsonObject("shard_latencies");
                    outsidePerHop[r] = outsideEnginePerHop(lastHops);
                    System.out.printf("round %d: single %.2f tokens/s, pipeline %.2f tokens/s, outside the engine %.0f us/hop%n",
                            r, singleRates[r], pipelineRates[r], outsidePerHop[r]);
                }
                double s = median(singleRates);
                double p = median(pipelineRates);
                System.out.printf("median decode: single process %.2f tokens/s, 4-process pipeline %.2f tokens/s = %.2fx;"
                        + " outside the engine %.0f us per hop%n", s, p, p / s, median(outsidePerHop));
                System.out.println("last round, per hop: " + lastHops.encodePrettily());
            } finally {
                client.close(Duration.ofSeconds(10));
            }
        }
    }

    /** Time per step and hop outside the engine: serialization, event bus, hand-offs between threads. */
    private static double outsideEnginePerHop(JsonObject hops) {
        double outside = 0;
        long steps = 0;
        for (String hop : hops.fieldNames()) {
            JsonObject h = hops.getJsonObject(hop);
            outside += (h.getDouble("total_ms") - h.getDouble("engine_ms")) * 1000;
            steps += h.getLong("steps");
        }
        return outside / Math.max(1, steps);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** {@code blocks} layers in {@code parts} contiguous spans, the larger ones first (22 → 0-5, 6-11, 12-16, 17-21). */
    static String[] split(int blocks, int parts) {
        return LayerRange.split(blocks, parts).stream().map(LayerRange::toString)
                .toArray(String[]::new);
    }
}
