package io.llmswarm.replica;

import io.llmswarm.cli.BackendSettings;
import io.llmswarm.cli.NodeSettings;
import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.SamplingParams;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.coordinator.Coordinator;
import io.llmswarm.coordinator.GenerateJson;
import io.llmswarm.coordinator.GenerateRequest;
import io.llmswarm.coordinator.GeneratedToken;
import io.llmswarm.coordinator.Generation;
import io.llmswarm.coordinator.GenerationOutcome;
import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.ModelMaker;
import io.llmswarm.gguf.ModelSpec;
import io.llmswarm.inference.FinishReason;
import io.llmswarm.llamacpp.LlamaCppModel;
import io.llmswarm.llamacpp.Sampling;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three nodes in this JVM on loopback: a llama.cpp replica of an 8-layer model (one slot) and a
 * two-shard Java pipeline of the same file. An idle swarm sends a request to the replica (one hop
 * beats two); its text is llama.cpp's own, with every token counted, stop strings and max tokens
 * as on a pipeline; a busy replica is passed over; a cancel or a client that goes away stops
 * llama.cpp's generation.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReplicaNodeTest {

    @TempDir
    static Path dir;

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String PROMPT = "Once upon a time";
    private static Path file;
    private static final List<SwarmNode> nodes = new ArrayList<>();
    private static SwarmNode replica;
    private static Coordinator coordinator;

    @BeforeAll
    static void startSwarm() throws Exception {
        file = dir.resolve("replica-test.gguf");
        // Wide enough that llama.cpp takes seconds for a thousand tokens, so a cancel comes well before the end.
        ModelMaker.write(ModelSpec.builder().blockCount(8).embeddingLength(512).feedForwardLength(1536).headCount(8)
                .headCountKv(4).vocabSize(400).contextLength(2048).allTypes(GgmlType.Q8_0).outputStd(0.5f).seed(11)
                .name("replica-test").build(), file);
        TestClusters cluster = new TestClusters(3);
        replica = SwarmNode.start(new NodeSettings(file, "auto", cluster.member(0), 0, 1, 1L << 30)
                .withBackend(new BackendSettings("llama.cpp", 0, 1))).await(90, TimeUnit.SECONDS);
        nodes.add(replica);
        nodes.add(SwarmNode.start(new NodeSettings(file, "0-3", cluster.member(1), 0, 1, 1L << 30)).await(60, TimeUnit.SECONDS));
        nodes.add(SwarmNode.start(new NodeSettings(file, "4-7", cluster.member(2), 0, 1, 1L << 30)).await(60, TimeUnit.SECONDS));
        coordinator = nodes.get(1).coordinator();
        TestClusters.awaitTrue(WAIT, () -> coordinator.status().readyShards().size() == 3,
                () -> "three ready nodes: " + coordinator.status().toJson());
    }

    @AfterAll
    static void stopSwarm() throws Exception {
        for (SwarmNode node : nodes) {
            node.close(Duration.ofSeconds(10));
        }
    }

    /** Each test starts with an idle replica, as announced, so the first choice is the replica. */
    @BeforeEach
    void replicaIdle() {
        TestClusters.awaitTrue(WAIT, () -> replica.replica().load() == 0 && coordinator.status().readyShards().stream()
                .allMatch(s -> s.load() == 0), () -> "an idle swarm: " + coordinator.status().toJson());
    }

    private static GenerateRequest greedy(int maxTokens) {
        return new GenerateRequest(PROMPT, null, maxTokens, new SamplingParams(SamplingConfig.greedy(), true, 0), List.of());
    }

    private static GenerationOutcome run(GenerateRequest request) throws Exception {
        return coordinator.generate(request, token -> { }).outcome().await(60, TimeUnit.SECONDS);
    }

    @Test
    void theReplicaStreamsLlamaCppsTextCountingEveryToken() throws Exception {
        GenerationOutcome outcome = run(greedy(24));
        assertTrue(outcome.route().startsWith("llamacpp:" + replica.nodeId()), outcome.route());
        assertEquals(FinishReason.LENGTH, outcome.finishReason());
        List<String> outputs = new ArrayList<>();
        String direct = LlamaCppModel.load(file, 1).generate(PROMPT, Sampling.greedy(24, true), outputs::add, () -> false);
        assertEquals(direct, outcome.text());
        // One piece per output of llama.cpp's stream: a token, or several where it held back an unfinished character.
        assertEquals(outputs.size(), outcome.tokens().size(), outputs.toString());
        assertTrue(outcome.tokens().size() <= 24, outputs.toString());
        assertEquals(direct, String.join("", outcome.tokens().stream().map(GeneratedToken::text).toList()));
        JsonObject response = GenerateJson.response(outcome);
        assertEquals(outputs.size(), response.getJsonObject("metadata").getInteger("tokens_generated"));
        assertTrue(response.getJsonArray("tokens").isEmpty(), "llama.cpp gives no token ids: " + response.encode());
    }

    @Test
    void stopStringsAndMaxTokensMeanWhatTheyMeanOnAPipeline() throws Exception {
        String text = run(greedy(40)).text();
        String stop = text.substring(text.length() / 2, text.length() / 2 + 3);
        replicaIdle(); // the replica's announced load shows the last request's end
        GenerationOutcome stopped = run(greedy(40).withStopStrings(List.of(stop)));
        assertTrue(stopped.route().startsWith("llamacpp:"), stopped.route());
        assertEquals(FinishReason.STOP_STRING, stopped.finishReason());
        assertEquals(text.substring(0, text.indexOf(stop)), stopped.text());
        replicaIdle();
        GenerationOutcome five = run(greedy(5));
        assertTrue(five.route().startsWith("llamacpp:"), five.route());
        assertTrue(five.tokens().size() <= 5 && !five.tokens().isEmpty(), five.tokens().toString());
        assertTrue(text.startsWith(five.text()), five.text());
    }

    @Test
    void aBusyReplicaIsPassedOverAndACancelStopsLlamaCpp() throws Exception {
        int cancelledBefore = replica.replica().cancelledCount();
        CompletableFuture<Void> firstToken = new CompletableFuture<>();
        Generation busy = coordinator.generate(greedy(1500), token -> firstToken.complete(null));
        firstToken.orTimeout(30, TimeUnit.SECONDS).join();
        GenerationOutcome other = run(greedy(6));
        assertFalse(other.route().contains("llamacpp"), "the one-slot replica is busy: " + other.route());
        assertEquals(6, other.tokens().size());
        busy.cancel();
        GenerationOutcome cancelled = busy.outcome().await(30, TimeUnit.SECONDS);
        assertTrue(cancelled.route().startsWith("llamacpp:"), cancelled.route());
        assertEquals(FinishReason.CANCELLED, cancelled.finishReason());
        TestClusters.awaitTrue(WAIT, () -> replica.replica().cancelledCount() == cancelledBefore + 1
                && replica.replica().load() == 0, () -> "llama.cpp to stop the cancelled generation");
    }

    @Test
    void theOpenAiApiStreamsFromTheReplicaAsFromAPipeline() throws Exception {
        int startedBefore = replica.replica().startedCount();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        JsonObject body = new JsonObject().put("prompt", PROMPT).put("max_tokens", 16).put("temperature", 0)
                .put("stream", true);
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + nodes.get(1).httpPort() + "/v1/completions")).timeout(WAIT).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        StringBuilder text = new StringBuilder();
        List<String> lines = response.body().lines().filter(line -> line.startsWith("data: ")).toList();
        assertEquals("data: [DONE]", lines.getLast(), response.body());
        for (String line : lines.subList(0, lines.size() - 1)) {
            text.append(new JsonObject(line.substring(6)).getJsonArray("choices").getJsonObject(0).getString("text"));
        }
        assertEquals(startedBefore + 1, replica.replica().startedCount(), "the request ran on the replica");
        String direct = LlamaCppModel.load(file, 1).generate(PROMPT, Sampling.greedy(16, false), piece -> { });
        assertEquals(direct, text.toString());
        http.close();
    }

    @Test
    void aClientThatGoesAwayStopsLlamaCppsGeneration() throws Exception {
        int cancelledBefore = replica.replica().cancelledCount();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nodes.get(2).httpPort()
                        + "/api/inference")).timeout(WAIT).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("prompt", PROMPT).put("max_tokens", 1500)
                        .put("temperature", 0).put("ignore_eos", true).put("stream", true).encode())).build();
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode());
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null && !line.startsWith("data: ")) {
                // the headers' blank line and comments before the first token
            }
            assertTrue(line != null && line.contains("\"index\":0"), "a first token event: " + line);
        }
        http.close(); // closing the body and the client drops the connection
        TestClusters.awaitTrue(WAIT, () -> replica.replica().cancelledCount() == cancelledBefore + 1
                && replica.replica().load() == 0, () -> "llama.cpp to stop after the client left; cancelled "
                + replica.replica().cancelledCount() + ", load " + replica.replica().load());
    }
}
