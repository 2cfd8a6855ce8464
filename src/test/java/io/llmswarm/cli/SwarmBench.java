package io.llmswarm.cli;

import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.SwarmCluster;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.engine.ShardEngine;
import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.gguf.ModelMaker;
import io.llmswarm.gguf.ModelSpec;
import io.llmswarm.inference.GenerationRequest;
import io.llmswarm.inference.GenerationResult;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Decode speed of a 4-process pipeline on this host against the single-process engine, same model
 * (TinyLlama's shape, Q8_0, written once), and the time per hop spent outside the engine. Not a
 * test: run with {@code java <node JVM options> -cp <test classpath> io.llmswarm.cli.SwarmBench
 * [model.gguf] [tokens] [threads]}.
 */
public final class SwarmBench {

    private static final String PROMPT = "Once upon a time";
    private static final int NODES = 4;

    private SwarmBench() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("hazelcast.wait.seconds.before.join", "0");
        System.setProperty("hazelcast.logging.type", "none");
        Path model = Path.of(args.length > 0 ? args[0] : "target/bench/tinyllama-q8_0.gguf");
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        if (!Files.exists(model)) {
            Files.createDirectories(model.toAbsolutePath().getParent());
            long t0 = System.nanoTime();
            ModelMaker.write(ModelSpec.tinyLlama(GgmlType.Q8_0), model);
            System.out.printf("wrote %s in %.1f s%n", model, (System.nanoTime() - t0) / 1e9);
        }
        String fingerprint;
        int blocks;
        try (GgufFile file = GgufFile.open(model)) {
            fingerprint = file.fingerprint();
            blocks = io.llmswarm.engine.ModelConfig.from(file).blockCount();
        }

        double single;
        try (LocalModel local = LocalModel.load(model, new ShardEngine.Options(threads, 64, 1L << 30), n -> { })) {
            int[] prompt = local.tokenizer().encode(PROMPT, true, false);
            GenerationRequest request = new GenerationRequest(prompt, tokens, SamplingConfig.greedy(), true);
            long warmUntil = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (System.nanoTime() < warmUntil) {
                local.generator().generate("warm", request, t -> true);
            }
            GenerationResult result = local.generator().generate("bench", request, t -> true);
            single = result.decodeTokensPerSecond();
            System.out.printf("single process: %d tokens, decode %.2f tokens/s%n", result.tokens().length, single);
        }

        String[] layers = split(blocks, NODES);
        TestClusters cluster = new TestClusters(NODES + 1);
        String join = String.join(",", cluster.memberAddresses().subList(0, NODES));
        Path logs = Files.createTempDirectory("swarm-bench");
        try (NodeProcesses processes = new NodeProcesses(logs)) {
            for (int i = 0; i < NODES; i++) {
                processes.start(model, cluster.name(), join,
                        new NodeProcesses.Node(layers[i], cluster.member(i).port(), threads, "768m"));
            }
            processes.awaitStarted(Duration.ofMinutes(2));
            SwarmCluster client = SwarmCluster.join(cluster.member(NODES).asLiteMember()).await(60, TimeUnit.SECONDS);
            try {
                SwarmCluster observer = client;
                TestClusters.awaitTrue(Duration.ofMinutes(3), () -> observer.announcements().view(fingerprint, blocks).isReady(),
                        () -> "readiness" + processes.logs());
                JsonObject request = new JsonObject().put("prompt", PROMPT).put("max_tokens", tokens)
                        .put("temperature", 0).put("ignore_eos", true);
                DeliveryOptions delivery = new DeliveryOptions().setSendTimeout(600_000);
                long warmUntil = System.nanoTime() + Duration.ofSeconds(25).toNanos();
                while (System.nanoTime() < warmUntil) {
                    client.vertx().eventBus().request(Addresses.GENERATE, request, delivery).await(10, TimeUnit.MINUTES);
                }
                JsonObject reply = client.vertx().eventBus().<JsonObject>request(Addresses.GENERATE, request, delivery)
                        .await(10, TimeUnit.MINUTES).body();
                JsonObject metadata = reply.getJsonObject("metadata");
                double pipeline = metadata.getDouble("decode_tokens_per_second");
                System.out.printf("4-process pipeline: %d tokens, decode %.2f tokens/s = %.2fx the single process%n",
                        metadata.getInteger("tokens_generated"), pipeline, pipeline / single);
                System.out.println("per hop: " + metadata.getJsonObject("shard_latencies").encodePrettily());
            } finally {
                // leave before the processes are killed, so no member is left alone with no data
                client.close(Duration.ofSeconds(10));
            }
        }
    }

    /** {@code blocks} layers in {@code parts} contiguous spans, the larger ones first (22 → 0-5, 6-11, 12-16, 17-21). */
    static String[] split(int blocks, int parts) {
        String[] spans = new String[parts];
        int first = 0;
        for (int i = 0; i < parts; i++) {
            int size = blocks / parts + (i < blocks % parts ? 1 : 0);
            spans[i] = first + "-" + (first + size - 1);
            first += size;
        }
        return spans;
    }
}
