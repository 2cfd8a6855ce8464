package io.llmswarm.gateway;

import io.llmswarm.cli.NodeSettings;
import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.coordinator.SwarmTestModel;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two swarm nodes in this JVM (layers 0-3 and 4-7): after one inference request, the coordinating
 * node's {@code /metrics} counts it, counts its tokens and times each of the two shards, and the
 * other node's registry (its own, not a shared global one) has not counted it.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class MetricsTest {

    @TempDir
    static Path dir;

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private static TestClusters cluster;
    private static final List<SwarmNode> nodes = new ArrayList<>();

    @BeforeAll
    static void startSwarm() throws Exception {
        Path file = SwarmTestModel.write(dir, 8);
        cluster = new TestClusters(2);
        nodes.add(SwarmNode.start(new NodeSettings(file, "0-3", cluster.member(0), 0, 1, 1L << 30))
                .await(60, TimeUnit.SECONDS));
        nodes.add(SwarmNode.start(new NodeSettings(file, "4-7", cluster.member(1), 0, 1, 1L << 30))
                .await(60, TimeUnit.SECONDS));
        for (SwarmNode node : nodes) {
            TestClusters.awaitTrue(WAIT, () -> node.coordinator().status().isReady(),
                    () -> "readiness on " + node.nodeId());
        }
    }

    @AfterAll
    static void stopSwarm() throws Exception {
        for (SwarmNode node : nodes) {
            node.close(Duration.ofSeconds(10));
        }
    }

    private static HttpResponse<String> send(SwarmNode node, HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(SwarmNode node, String path) {
        return URI.create("http://127.0.0.1:" + node.httpPort() + path);
    }

    /** The value of the one sample whose line starts with {@code series}; fails naming it when absent. */
    private static double sample(String scrape, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(scrape);
        assertTrue(m.find(), () -> "no sample " + series + " in:\n" + scrape);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void oneInferenceRequestShowsInThePrometheusScrape() throws Exception {
        SwarmNode coordinator = nodes.get(1);
        HttpResponse<String> inference = send(coordinator, HttpRequest.newBuilder(uri(coordinator, "/api/inference"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        new JsonObject().put("prompt", "Once upon a time").put("max_tokens", 7)
                                .put("temperature", 0).put("ignore_eos", true).encode())));
        assertEquals(200, inference.statusCode(), inference.body());
        int generated = new JsonObject(inference.body()).getJsonObject("metadata").getInteger("tokens_generated");
        assertEquals(7, generated);

        HttpResponse<String> metrics = send(coordinator, HttpRequest.newBuilder(uri(coordinator, "/metrics")).GET());
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain"));
        String scrape = metrics.body();
        assertTrue(scrape.contains("# TYPE llmswarm_requests_total counter"), scrape);
        assertEquals(1.0, sample(scrape, "llmswarm_requests_total{endpoint=\"/api/inference\",outcome=\"ok\"}"));
        assertEquals(generated, sample(scrape, "llmswarm_tokens_generated_total"));
        assertEquals(1.0, sample(scrape, "llmswarm_time_to_first_token_seconds_count"));
        assertEquals(generated - 1, sample(scrape, "llmswarm_token_latency_seconds_count"));
        assertEquals(0.0, sample(scrape, "llmswarm_generations_in_flight"));
        for (SwarmNode node : nodes) {
            String series = "llmswarm_shard_step_seconds_count{layers=\"" + node.layers() + "\",shard=\""
                    + node.nodeId() + "\"}";
            assertTrue(sample(scrape, series) >= generated, series);
        }
        // Vert.x's own HTTP server meters land in the same per-node registry.
        assertTrue(scrape.contains("vertx_http_server_requests_total"), scrape);

        String other = send(nodes.get(0), HttpRequest.newBuilder(uri(nodes.get(0), "/metrics")).GET()).body();
        assertTrue(!other.contains("outcome=\"ok\""), "the other node counted a request it did not serve:\n" + other);
    }
}
