package io.llmswarm.cli;

import io.llmswarm.inference.BundledModel;
import io.vertx.core.json.JsonObject;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code demo}: the whole system in one process — a swarm of shard nodes over one model (the
 * demo model inside node.jar unless {@code --model} names another), clustered on loopback, with
 * the gateway and web UI on {@code --http-port}. It asks the swarm the source documents' question
 * once, prints the answer with its route and per-shard latencies, then serves until stopped
 * ({@code --prompt} asks that instead and exits).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start a swarm of shard nodes in this process (the demo model unless --model) with the gateway and web UI.")
public final class DemoCommand implements Callable<Integer> {

    static final String QUESTION = "What is artificial intelligence?";


    @Option(names = "--model", paramLabel = "FILE", description = "A GGUF model (default: the demo model inside node.jar).")
    Path model;

    @Option(names = "--http-port", defaultValue = "8080", description = "Port of the gateway and web UI (default 8080; 0 picks a free one).")
    int httpPort;

    @Option(names = "--nodes", defaultValue = "4", description = "Shard nodes to split the layers over (default 4).")
    int nodes;

    @Option(names = "--threads", description = "Kernel threads per node (default: all cores).")
    Integer threads;

    @Option(names = "--max-tokens", defaultValue = "48", description = "Tokens for the question asked at start (default 48).")
    int maxTokens;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "Ask this (in the model's chat format), print the answer and exit.")
    String prompt;

    @Override
    public Integer call() throws Exception {
        quietClusterLogs();
        Path file = model != null ? model : BundledModel.path();
        int kernelThreads = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        PrintStream out = System.out;
        out.println("starting " + nodes + " shard nodes of " + file.getFileName() + " on loopback…");
        DemoSwarm swarm = DemoSwarm.start(new DemoSwarm.Plan(file, nodes, httpPort, kernelThreads));
        Thread closer = new Thread(() -> closeQuietly(swarm));
        Runtime.getRuntime().addShutdownHook(closer);
        // Ctrl-C (or SIGTERM) lets running answers finish first; a second one stops at once.
        PlannedStop.install("\nstopping: running answers may finish (Ctrl-C again to stop at once)",
                () -> swarm.drain(NodeSettings.DEFAULT_DRAIN_TIMEOUT));
        for (SwarmNode node : swarm.nodes()) {
            out.println("  node " + node.nodeId() + "  layers " + node.layers());
        }
        String question = prompt != null ? prompt : QUESTION;
        out.println();
        out.println("asking the swarm: " + question);
        out.println(DemoAnswer.describe(ask(swarm, file, question)));
        if (prompt != null) {
            return 0;
        }
        out.println();
        out.println("web UI and API: " + swarm.url());
        out.println("  curl -s " + swarm.url() + "v1/chat/completions -H 'Content-Type: application/json' \\");
        out.println("    -d '{\"messages\":[{\"role\":\"user\",\"content\":\"" + QUESTION + "\"}]}'");
        out.println("press Ctrl-C to stop");
        out.flush();
        new CountDownLatch(1).await();
        return 0;
    }

    /**
     * Sends the question as the source documents do to the first node's {@code /api/inference}, which
     * puts it into the model's chat template; returns its JSON.
     */
    private JsonObject ask(DemoSwarm swarm, Path file, String question) throws Exception {
        JsonObject body = new JsonObject().put("prompt", question).put("max_tokens", maxTokens)
                .put("temperature", 0.0);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(swarm.url() + "api/inference"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        JsonObject answer = new JsonObject(response.body());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("the swarm refused the question (HTTP " + response.statusCode() + "): "
                    + answer.encode());
        }
        return answer;
    }

    /**
     * Four nodes on loopback need not wait for more members. Hazelcast's and Micrometer's chatter is
     * quieted by the node's one logging configuration (logback.xml), as on every node; the demo also
     * keeps Hazelcast's warnings about its own members leaving as it stops (all four at once) to itself.
     */
    private static void quietClusterLogs() {
        System.setProperty("hazelcast.wait.seconds.before.join", System.getProperty("hazelcast.wait.seconds.before.join", "0"));
        System.setProperty("hazelcast.logging.type", System.getProperty("hazelcast.logging.type", "slf4j"));
        if (LoggerFactory.getLogger("com.hazelcast") instanceof ch.qos.logback.classic.Logger hazelcast) {
            hazelcast.setLevel(ch.qos.logback.classic.Level.ERROR);
        }
    }

    private static void closeQuietly(DemoSwarm swarm) {
        try {
            swarm.close();
        } catch (Exception e) {
            System.err.println("error while stopping the demo swarm: " + e.getMessage());
        }
    }
}
