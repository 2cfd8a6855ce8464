package io.llmswarm.gateway;

import io.llmswarm.cluster.LoopbackPorts;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pages of other sites cannot drive a node: node 0 lists no origin, node 1 lists the test page's
 * ({@code --allowed-origins}). A request that carries a foreign {@code Origin} is refused with 403
 * before anything runs, whatever its type (a {@code text/plain} POST needs no pre-flight), the
 * event-bus bridge included; the node's own origin and requests without one pass; a listed origin
 * gets CORS headers and pre-flights. Then the same in headless Chromium, from a page served on
 * another port.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class CrossOriginTest {

    private static final int PAGE_PORT = LoopbackPorts.free(1).getFirst();
    private static final String PAGE_ORIGIN = "http://127.0.0.1:" + PAGE_PORT;
    private static final String FOREIGN = "http://evil.example";
    private static final String PROMPT = "{\"prompt\": \"Once upon a time\", \"max_tokens\": 3, \"temperature\": 0}";

    @RegisterExtension
    static final GatewaySwarm swarm = GatewaySwarm.ready(
            new GatewaySettings("127.0.0.1", ApiKeys.none(), GatewayLimits.defaults()),
            new GatewaySettings("127.0.0.1", ApiKeys.none(), GatewayLimits.defaults())
                    .withAllowedOrigins(AllowedOrigins.of(List.of(PAGE_ORIGIN, "https://chat.example.com"))));

    @Test
    void aForeignOriginIsRefusedBeforeAnyWorkWhateverThePathOrType() throws Exception {
        double tokensBefore = tokens(0);
        double refusedBefore = refused(0);
        TestHttp http = swarm.http(0);
        for (String type : List.of("text/plain", "application/json", "application/x-www-form-urlencoded")) {
            HttpResponse<String> post = send(http.request("/api/inference", null).header("Origin", FOREIGN)
                    .header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofString(PROMPT)));
            assertEquals(403, post.statusCode(), type + ": " + post.body());
            assertTrue(post.body().contains("does not answer pages of http://evil.example"), post.body());
            assertTrue(post.headers().firstValue("Access-Control-Allow-Origin").isEmpty(), "no CORS for a foreign page");
        }
        HttpResponse<String> openAi = send(http.request("/v1/chat/completions", null).header("Origin", FOREIGN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}")));
        assertEquals(403, openAi.statusCode());
        assertTrue(openAi.body().contains("origin_not_allowed"), "an OpenAI error object: " + openAi.body());
        for (String path : List.of("/api/swarm", "/eventbus/info", "/metrics", "/")) {
            assertEquals(403, send(http.request(path, null).header("Origin", FOREIGN).GET()).statusCode(), path);
        }
        HttpResponse<String> preflight = send(http.request("/api/inference", null).header("Origin", FOREIGN)
                .header("Access-Control-Request-Method", "POST").method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
        assertEquals(403, preflight.statusCode());
        // An opaque origin (a sandboxed page, a file) and the same host on another port are foreign too.
        for (String origin : List.of("null", "http://127.0.0.1:" + (swarm.node(0).httpPort() + 1), "https://127.0.0.1:"
                + swarm.node(0).httpPort())) {
            assertEquals(403, send(http.request("/api/swarm", null).header("Origin", origin).GET()).statusCode(), origin);
        }
        assertEquals(tokensBefore, tokens(0), "no generation ran");
        assertEquals(refusedBefore + 12, refused(0), "each refusal counted in llmswarm_http_refused_total{reason=origin}");
    }

    @Test
    void theNodesOwnPageAndClientsWithoutAnOriginAreUnaffected() throws Exception {
        TestHttp http = swarm.http(0);
        HttpResponse<String> own = send(http.request("/api/inference", null)
                .header("Origin", "http://127.0.0.1:" + swarm.node(0).httpPort())
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(PROMPT)));
        assertEquals(200, own.statusCode(), own.body());
        assertTrue(own.headers().firstValue("Access-Control-Allow-Origin").isEmpty(), "same origin needs no CORS");
        HttpResponse<String> curl = http.post("/api/inference", PROMPT);
        assertEquals(200, curl.statusCode(), curl.body());
        assertEquals(new JsonObject(own.body()).getJsonArray("tokens"),
                new JsonObject(curl.body()).getJsonArray("tokens"), "the same greedy answer");
    }

    @Test
    void aListedOriginGetsCorsHeadersAndItsPreflightsAnswered() throws Exception {
        TestHttp http = swarm.http(1);
        HttpResponse<String> preflight = send(http.request("/v1/chat/completions", null)
                .header("Origin", "https://CHAT.example.com:443").header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization, content-type")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
        assertEquals(204, preflight.statusCode(), preflight.body());
        Map<String, List<String>> headers = preflight.headers().map();
        assertEquals(List.of("https://CHAT.example.com:443"), headers.get("access-control-allow-origin"));
        assertTrue(headers.get("access-control-allow-methods").getFirst().contains("POST"));
        assertTrue(headers.get("access-control-allow-headers").getFirst().contains("Authorization"));
        HttpResponse<String> post = send(http.request("/api/inference", null).header("Origin", PAGE_ORIGIN)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(PROMPT)));
        assertEquals(200, post.statusCode(), post.body());
        assertEquals(PAGE_ORIGIN, post.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
        assertTrue(post.headers().firstValue("Access-Control-Expose-Headers").orElse("").contains("X-Request-Id"));
        HttpResponse<String> other = send(http.request("/api/swarm", null).header("Origin", FOREIGN).GET());
        assertEquals(403, other.statusCode(), "listing one origin does not open the node to others");
        assertNull(other.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
    }

    @Test
    void aPageOfAnotherSiteInABrowserCannotDriveANodeUnlessListed() throws Exception {
        NodeScript.assertBrowserThere();
        Vertx vertx = Vertx.vertx();
        try {
            HttpServer page = vertx.createHttpServer().requestHandler(request -> request.response()
                    .putHeader("Content-Type", "text/html; charset=utf-8")
                    .end("<!doctype html><title>another site</title><p>another site</p>"))
                    .listen(PAGE_PORT, "127.0.0.1").await(10, TimeUnit.SECONDS);
            double tokensBefore = tokens(0);
            double refusedBefore = refused(0);
            NodeScript.Run run = NodeScript.run("cross-origin.test.mjs", Duration.ofSeconds(90), PAGE_ORIGIN + "/",
                    "http://127.0.0.1:" + swarm.node(0).httpPort() + "/", "http://127.0.0.1:" + swarm.node(1).httpPort() + "/");
            assertEquals(0, run.exitCode(), "the browser script failed:\n" + run.output());
            Map<String, String> facts = run.facts();
            assertEquals(PAGE_ORIGIN, facts.get("page_origin"));

            assertEquals("sent", facts.get("refusing.simple_post"), "the browser sends it: the node must refuse it");
            assertEquals("blocked", facts.get("refusing.swarm"), run.output());
            assertEquals("blocked", facts.get("refusing.json_post"), run.output());
            assertEquals("refused", facts.get("refusing.bridge"), run.output());
            assertEquals(tokensBefore, tokens(0), "the page made node 0 generate nothing");
            assertTrue(refused(0) >= refusedBefore + 4, "the simple POST, the GET, the pre-flight and the WebSocket "
                    + "were refused: " + (refused(0) - refusedBefore));
            swarm.awaitNoSessions();

            assertEquals("200:true", facts.get("allowing.swarm"), run.output());
            assertEquals("200:4:id", facts.get("allowing.json_post"), run.output());
            assertEquals("tokens:4", facts.get("allowing.bridge"), run.output());
            page.close().await(10, TimeUnit.SECONDS);
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return swarm.http(0).client().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static double tokens(int node) {
        return sum(swarm.node(node).cluster().metrics(), GatewayMetrics.TOKENS);
    }

    private static double refused(int node) {
        return swarm.node(node).cluster().metrics().find(GatewayMetrics.REFUSED).tag("reason", "origin").counters()
                .stream().mapToDouble(Counter::count).sum();
    }

    private static double sum(MeterRegistry registry, String name) {
        return registry.find(name).counters().stream().mapToDouble(Counter::count).sum();
    }
}
