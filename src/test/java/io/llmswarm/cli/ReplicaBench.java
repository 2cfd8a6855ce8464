package io.llmswarm.cli;

import io.llmswarm.cluster.TestClusters;
import io.llmswarm.engine.ModelConfig;
import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.gguf.ModelMaker;
import io.llmswarm.gguf.ModelSpec;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * Time to first token and decode speed through the HTTP API of a llama.cpp replica against a
 * two-shard Java pipeline of the same model (TinyLlama's shape, Q4_K, written once), all three
 * node processes in one swarm on this host. A request goes to the replica while it is idle (one
 * hop beats two); asking for a log-probability ({@code "top_logprobs": 1}) sends it to the
 * pipeline, since replicas give none. The two take turns for several rounds, so a shared
 * machine's changing load hits both alike; medians are reported. TTFT is measured by the client,
 * from sending the request to the first token's Server-Sent Event; decode speed over the tokens
 * after the first (ignore_eos, so exactly the tokens asked for). Not a test: run with
 * {@code java -cp <test classpath> io.llmswarm.cli.ReplicaBench [model.gguf] [tokens] [threads] [rounds]}.
 */
public final class ReplicaBench {

    private static final String PROMPT = "What is artificial intelligence?";
    private static final double DOCUMENT_TTFT_MS = 120;

    private ReplicaBench() {
    }

    /** One streamed request as the client saw it. */
    private record Sample(double ttftMs, double decodeTokensPerSecond, int promptTokens, String route) {
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args.length > 0 ? args[0] : "target/bench/tinyllama-q4_k.gguf");
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        if (!Files.exists(model)) {
            Files.createDirectories(model.toAbsolutePath().getParent());
            ModelMaker.write(ModelSpec.tinyLlama(GgmlType.Q4_K), model);
        }
        int blocks;
        try (GgufFile file = GgufFile.open(model)) {
            blocks = ModelConfig.from(file).blockCount();
        }
        String[] layers = SwarmBench.split(blocks, 2);
        TestClusters cluster = new TestClusters(3);
        String join = String.join(",", cluster.memberAddresses());
        int httpPort = TestClusters.freePorts(1).getFirst();
        Path logs = Files.createTempDirectory("replica-bench");
        try (NodeProcesses processes = new NodeProcesses(logs);
             HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            processes.start(model, cluster.name(), join, new NodeProcesses.Node("auto", cluster.member(0).port(), threads,
                    "512m"), new NodeProcesses.Extras(0, List.of("-Dde.kherud.llama.tmpdir=" + logs.resolve("native")),
                    List.of("--backend", "llamacpp")));
            processes.start(model, cluster.name(), join, new NodeProcesses.Node(layers[0], cluster.member(1).port(), threads,
                    "768m"), new NodeProcesses.Extras(httpPort, List.of(), List.of()));
            processes.start(model, cluster.name(), join, new NodeProcesses.Node(layers[1], cluster.member(2).port(), threads,
                    "768m"));
            processes.awaitStarted(Duration.ofMinutes(3));
            URI inference = URI.create("http://127.0.0.1:" + httpPort + "/api/inference");
            URI swarm = URI.create("http://127.0.0.1:" + httpPort + "/api/swarm");
            TestClusters.awaitTrue(Duration.ofMinutes(3), () -> readyCount(http, swarm) == 3, () -> "three ready nodes" + processes.logs());
            JsonObject replica = new JsonObject().put("prompt", PROMPT).put("max_tokens", tokens).put("temperature", 0)
                    .put("ignore_eos", true).put("stream", true);
            JsonObject pipeline = replica.copy().put("top_logprobs", 1);
            long warmUntil = System.nanoTime() + Duration.ofSeconds(30).toNanos(); // the JIT needs 15-20 s
            while (System.nanoTime() < warmUntil) {
                run(http, inference, replica, tokens);
                run(http, inference, pipeline, tokens);
            }
            Sample[] replicaSamples = new Sample[rounds];
            Sample[] pipelineSamples = new Sample[rounds];
            for (int r = 0; r < rounds; r++) {
                replicaSamples[r] = run(http, inference, replica, tokens);
                pipelineSamples[r] = run(http, inference, pipeline, tokens);
                System.out.printf("round %d: replica %s; pipeline %s%n", r, replicaSamples[r], pipelineSamples[r]);
            }
            check(replicaSamples, true);
            check(pipelineSamples, false);
            System.out.printf("TinyLlama shape, Q4_K, %d-token prompt, %d tokens, %d threads per node, median of %d rounds%n",
                    replicaSamples[0].promptTokens(), tokens, threads, rounds);
            System.out.println("| route | time to first token | decode tokens/s | TTFT vs the document's 0.12 s |");
            System.out.println("|---|---:|---:|---:|");
            row("llama.cpp replica (1 process)", replicaSamples);
            row("Java pipeline (2 processes, layers " + layers[0] + ", " + layers[1] + ")", pipelineSamples);
        }
        System.exit(0);
    }

    private static void row(String name, Sample[] samples) {
        double ttft = median(Arrays.stream(samples).mapToDouble(Sample::ttftMs).toArray());
        double decode = median(Arrays.stream(samples).mapToDouble(Sample::decodeTokensPerSecond).toArray());
        System.out.printf("| %s | %.0f ms | %.1f | %.1fx |%n", name, ttft, decode, ttft / DOCUMENT_TTFT_MS);
    }

    private static void check(Sample[] samples, boolean replica) {
        for (Sample sample : samples) {
            if (sample.route().startsWith("llamacpp:") != replica) {
                throw new IllegalStateException("expected a " + (replica ? "replica" : "pipeline") + " route, got "
                        + sample.route());
            }
        }
    }

    private static Sample run(HttpClient http, URI inference, JsonObject body, int tokens) {
        long sent = System.nanoTime();
        long first = 0;
        try {
            HttpResponse<Stream<String>> response = http.send(HttpRequest.newBuilder(inference)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode()))
                    .build(), HttpResponse.BodyHandlers.ofLines());
            String event = null;
            for (String line : (Iterable<String>) response.body()::iterator) {
                if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    if (event == null && first == 0) {
                        first = System.nanoTime();
                    } else if ("done".equals(event)) {
                        long end = System.nanoTime();
                        JsonObject done = new JsonObject(line.substring(6));
                        return new Sample((first - sent) / 1e6, (tokens - 1) / ((end - first) / 1e9),
                                done.getInteger("prompt_tokens"), done.getJsonObject("metadata").getString("route"));
                    } else if (event != null) {
                        throw new IllegalStateException("the request failed: " + line);
                    }
                }
            }
            throw new IllegalStateException("the stream ended without a done event");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int readyCount(HttpClient http, URI swarm) {
        try {
            JsonObject view = new JsonObject(http.send(HttpRequest.newBuilder(swarm).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            return (int) view.getJsonArray("shards").stream().filter(s -> ((JsonObject) s).getBoolean("ready")).count();
        } catch (Exception e) {
            return 0;
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
