package io.llmswarm.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static io.llmswarm.cluster.TestClusters.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's admission in front of a route that holds each response open until the test ends
 * it, as a long generation does: a node limit of 2 and a client limit of 1, clients told apart by
 * API key. Refusals come at once with Retry-After; ending or dropping a response frees its place.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class GenerationLimitsTest {

    private static final List<String> KEYS = List.of("client-a-key", "client-b-key", "client-c-key");

    private Vertx vertx;
    private final ConcurrentLinkedQueue<HttpServerResponse> held = new ConcurrentLinkedQueue<>();
    private TestHttp http;
    private int port;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        Router router = Router.router(vertx);
        router.route().handler(new ApiKeyHandler(ApiKeys.of(KEYS)));
        GenerationLimits limits = new GenerationLimits(new GenerationSlots(new GatewayLimits(2, 1)));
        router.post("/api/inference").handler(limits).handler(ctx -> {
            ctx.response().setChunked(true).write("data: {}\n\n");
            held.add(ctx.response());
        });
        router.post("/v1/completions").handler(limits).handler(ctx -> held.add(ctx.response()));
        HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
                .await(10, TimeUnit.SECONDS);
        port = server.actualPort();
        http = new TestHttp(port);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private CompletableFuture<HttpResponse<Void>> hold(String key) {
        return http.client().sendAsync(http.request("/api/inference", key).POST(
                HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.discarding());
    }

    /**
     * Holds a stream for {@code key} once the server has freed a place: ending or dropping a
     * response frees it on the server's event loop, which may come just after the client asks
     * again, so a refusal ({@code refusal}) until then; admitted within 10 s.
     */
    private void holdOnceFree(String key, int refusal) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (held.isEmpty()) {
            CompletableFuture<HttpResponse<Void>> attempt = hold(key);
            awaitTrue(Duration.ofSeconds(10), () -> held.size() == 1 || attempt.isDone(), () -> "an answer to " + key);
            if (held.isEmpty()) {
                assertEquals(refusal, attempt.get().statusCode());
                assertTrue(System.nanoTime() < deadline, key + " admitted within 10 s after a place was freed");
                Thread.sleep(100);
            }
        }
    }

    private void endHeld() {
        HttpServerResponse response;
        while ((response = held.poll()) != null) {
            HttpServerResponse r = response;
            vertx.runOnContext(v -> r.end());
        }
    }

    @Test
    void beyondTheClientLimitIs429AndBeyondTheNodeLimitIs503AndEndingFreesThePlace() throws Exception {
        hold(KEYS.get(0));
        awaitTrue(Duration.ofSeconds(10), () -> held.size() == 1, () -> "the first stream held");

        HttpResponse<String> sameClient = http.post("/api/inference", KEYS.get(0), "{}");
        assertEquals(429, sameClient.statusCode(), sameClient.body());
        assertEquals("1", sameClient.headers().firstValue("Retry-After").orElse(""));
        assertTrue(new JsonObject(sameClient.body()).getString("error").contains("max_concurrent_per_client"));

        hold(KEYS.get(1));
        awaitTrue(Duration.ofSeconds(10), () -> held.size() == 2, () -> "the second client's stream held");
        HttpResponse<String> full = http.post("/api/inference", KEYS.get(2), "{}");
        assertEquals(503, full.statusCode(), full.body());
        assertTrue(full.headers().firstValue("Retry-After").isPresent());
        assertTrue(new JsonObject(full.body()).getString("error").contains("max_concurrent"), full.body());
        HttpResponse<String> fullOpenAi = http.post("/v1/completions", KEYS.get(2), "{}");
        assertEquals(503, fullOpenAi.statusCode());
        assertEquals("overloaded", new JsonObject(fullOpenAi.body()).getJsonObject("error").getString("code"));

        endHeld();
        holdOnceFree(KEYS.get(2), 503);
        endHeld();
    }

    @Test
    void aClientThatHangsUpFreesItsPlace() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/inference HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + KEYS.get(0)
                    + "\r\nContent-Length: 2\r\n\r\n{}").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            awaitTrue(Duration.ofSeconds(10), () -> held.size() == 1, () -> "the raw client's stream held");
            assertEquals(429, http.post("/api/inference", KEYS.get(0), "{}").statusCode());
        }
        held.clear();
        holdOnceFree(KEYS.get(0), 429);
        endHeld();
    }
}
