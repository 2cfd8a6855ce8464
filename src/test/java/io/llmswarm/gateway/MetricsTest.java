package io.llmswarm.gateway;

import io.llmswarm.cli.SwarmNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
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

    @RegisterExtension
    static final GatewaySwarm swarm = GatewaySwarm.ready();

    /** The value of the one sample whose line starts with {@code series}; fails naming it when absent. */
    private static double sample(String scrape, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(scrape);
        assertTrue(m.find(), () -> "no sample " + series + " in:\n" + scrape);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void oneInferenceRequestShowsInThePrometheusScrape() throws Exception {
        TestHttp coordinator = swarm.http(1);
        HttpResponse<String> inference = coordinator.post("/api/inference", new JsonObject()
                .put("prompt", "Once upon a time").put("max_tokens", 7).put("temperature", 0).put("ignore_eos", true).encode());
        assertEquals(200, inference.statusCode(), inference.body());
        int generated = new JsonObject(inference.body()).getJsonObject("metadata").getInteger("tokens_generated");
        assertEquals(7, generated);

        HttpResponse<String> metrics = coordinator.get("/metrics");
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain"));
        String scrape = metrics.body();
        assertTrue(scrape.contains("# TYPE llmswarm_requests_total counter"), scrape);
        assertEquals(1.0, sample(scrape, "llmswarm_requests_total{endpoint=\"/api/inference\",outcome=\"ok\"}"));
        assertEquals(generated, sample(scrape, "llmswarm_tokens_generated_total"));
        assertEquals(1.0, sample(scrape, "llmswarm_time_to_first_token_seconds_count"));
        assertEquals(generated - 1, sample(scrape, "llmswarm_token_latency_seconds_count"));
        assertEquals(0.0, sample(scrape, "llmswarm_generations_in_flight"));
        for (SwarmNode node : swarm.nodes()) {
            String series = "llmswarm_shard_step_seconds_count{layers=\"" + node.layers() + "\",shard=\""
                    + node.nodeId() + "\"}";
            assertTrue(sample(scrape, series) >= generated, series);
        }
        // Vert.x's own HTTP server meters land in the same per-node registry.
        assertTrue(scrape.contains("vertx_http_server_requests_total"), scrape);

        String other = swarm.http(0).get("/metrics").body();
        assertTrue(!other.contains("outcome=\"ok\""), "the other node counted a request it did not serve:\n" + other);
    }
}
