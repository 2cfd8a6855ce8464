package io.llmswarm.client;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@link SwarmClient} sends and how it reads what goes wrong on the wire, against a loopback
 * HTTP server that answers as a node would in cases a healthy swarm does not produce on demand.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SwarmClientWireTest {

    @Test
    void aStreamCutShortOrEndingInAnErrorEventIsAFailureWithTheReason() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            // One token, then the connection drops (a node that died), an error event, or the response just ends.
            HttpServer server = vertx.createHttpServer().requestHandler(request -> {
                request.response().setChunked(true).putHeader("Content-Type", "text/event-stream")
                        .write("data: {\"index\": 0, \"id\": 5, \"text\": \"Hi\", \"logprob\": -0.5}\n\n");
                if (request.path().equals("/drop/api/inference")) {
                    request.connection().close();
                } else if (request.path().equals("/error/api/inference")) {
                    request.response().end("event: error\ndata: {\"error\": \"shard 4-7 timed out\"}\n\n");
                } else {
                    request.response().end();
                }
            }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
            String base = "http://127.0.0.1:" + server.actualPort();
            try (SwarmClient dropped = SwarmClient.create(base + "/drop");
                 SwarmClient ended = SwarmClient.create(base + "/end")) {
                List<StreamedToken> tokens = new CopyOnWriteArrayList<>();
                SwarmClientException broke = assertThrows(SwarmClientException.class,
                        () -> dropped.stream(InferenceRequest.of("Hello"), tokens::add).await());
                assertTrue(broke.getMessage().contains("broke"), broke.getMessage());
                assertEquals("Hi", tokens.getFirst().text());
                SwarmClientException truncated = assertThrows(SwarmClientException.class,
                        () -> ended.stream(InferenceRequest.of("Hello"), token -> { }).await());
                assertTrue(truncated.getMessage().contains("ended before its final event"), truncated.getMessage());
            }
            try (SwarmClient failing = SwarmClient.create(base + "/error")) {
                SwarmClientException error = assertThrows(SwarmClientException.class,
                        () -> failing.stream(InferenceRequest.of("Hello"), token -> { }).await());
                assertTrue(error.getMessage().contains("shard 4-7 timed out"), error.getMessage());
            }
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void anApiKeyGoesOutAsABearerHeader() throws Exception {
        Vertx vertx = Vertx.vertx();
        AtomicReference<String> authorization = new AtomicReference<>();
        try {
            // A loopback server that refuses as a node with keys does, and remembers what it was sent.
            HttpServer server = vertx.createHttpServer().requestHandler(request -> {
                authorization.set(request.getHeader("Authorization"));
                request.response().setStatusCode(401).putHeader("Content-Type", "application/json")
                        .end(new JsonObject().put("error", "a valid API key is required").encode());
            }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
            ClientSettings settings = ClientSettings.of("http://127.0.0.1:" + server.actualPort()).withApiKey("k-123");
            try (SwarmClient keyed = SwarmClient.create(settings)) {
                SwarmClientException refused = assertThrows(SwarmClientException.class,
                        () -> keyed.infer(InferenceRequest.of("Hello")));
                assertEquals(401, refused.status());
                assertTrue(refused.getMessage().contains("a valid API key is required"), refused.getMessage());
                assertEquals("Bearer k-123", authorization.get());
                SwarmClientException streamRefused = assertThrows(SwarmClientException.class,
                        () -> keyed.stream(InferenceRequest.of("Hello"), token -> { }).await());
                assertEquals(401, streamRefused.status());
                assertEquals("Bearer k-123", authorization.get());
            }
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }
}
