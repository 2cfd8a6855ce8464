package io.llmswarm.gateway;

import io.llmswarm.cli.NodeSettings;
import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.coordinator.SwarmTestModel;
import io.llmswarm.inference.LocalModel;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Thousands of seeded malformed requests against a running node (all 8 layers): every one is a
 * 4xx with a JSON error, none a 500 or a hang; raw garbage on the socket gets a 4xx or a closed
 * connection; afterwards the node still generates the right tokens and holds no session.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class HttpFuzzTest {

    private static final long SEED = 20261126L;
    private static final int REQUESTS = 3000;
    private static final Duration BUDGET = Duration.ofSeconds(20);
    private static final int IN_FLIGHT = 8;

    @TempDir
    Path dir;

    @Test
    void everyMalformedRequestIsA4xxWithAJsonErrorAndTheNodeServesOn() throws Exception {
        Path file = SwarmTestModel.write(dir, 8);
        SwarmNode node = SwarmNode.start(new NodeSettings(file, "0-7", new TestClusters(1).member(0), 0, 1, 1L << 30))
                .await(60, TimeUnit.SECONDS);
        try (LocalModel local = SwarmTestModel.local(file)) {
            TestClusters.awaitTrue(Duration.ofSeconds(30), () -> node.coordinator().status().isReady(), () -> "readiness");
            TestHttp http = new TestHttp(node.httpPort());
            MalformedRequests requests = new MalformedRequests(SEED);
            long deadline = System.nanoTime() + BUDGET.toNanos();
            int sent = 0;
            List<String> problems = new ArrayList<>();
            while (sent < REQUESTS && System.nanoTime() < deadline && problems.isEmpty()) {
                List<CompletableFuture<String>> batch = new ArrayList<>();
                for (int i = 0; i < IN_FLIGHT; i++, sent++) {
                    batch.add(send(http, requests.next()));
                }
                for (CompletableFuture<String> answer : batch) {
                    String problem = answer.get(30, TimeUnit.SECONDS);
                    if (problem != null) {
                        problems.add(problem);
                    }
                }
            }
            assertTrue(problems.isEmpty(), "after " + sent + " requests: " + problems);
            assertTrue(sent >= 500, "only " + sent + " requests within " + BUDGET);
            System.out.println("HttpFuzzTest: " + sent + " malformed requests, every one a 4xx with a JSON error");

            oversizedAndRawGarbage(http, node.httpPort());

            SwarmTestModel.assertServesAndHoldsNothing(local, node);
        } finally {
            node.close(Duration.ofSeconds(10));
        }
    }

    /** Null when the answer is a 4xx with a JSON error of the API's shape; else what was wrong. */
    private static CompletableFuture<String> send(TestHttp http, MalformedRequests.Request request) {
        HttpRequest.Builder builder = http.request(request.path(), null)
                .POST(HttpRequest.BodyPublishers.ofByteArray(request.body()));
        for (int i = 0; i < request.headers().size(); i += 2) {
            builder.setHeader(request.headers().get(i), request.headers().get(i + 1));
        }
        String shown = request.path() + " " + new String(request.body(), 0, Math.min(200, request.body().length),
                StandardCharsets.UTF_8);
        return http.client().sendAsync(builder.build(), HttpResponse.BodyHandlers.ofString())
                .handle((response, failure) -> failure != null ? "no answer to " + shown + ": " + failure
                        : judge(request.path(), response, shown));
    }

    private static String judge(String path, HttpResponse<String> response, String shown) {
        int status = response.statusCode();
        if (status < 400 || status > 499) {
            return status + " for " + shown + ": " + response.body();
        }
        try {
            JsonObject body = new JsonObject(response.body());
            Object error = body.getValue("error");
            boolean shaped = path.startsWith("/v1/") ? error instanceof JsonObject o && o.getString("message") != null
                    : error instanceof String;
            return shaped ? null : "error of the wrong shape for " + shown + ": " + response.body();
        } catch (RuntimeException e) {
            return "not a JSON error for " + shown + ": " + status + " " + response.body();
        }
    }

    private static void oversizedAndRawGarbage(TestHttp http, int port) throws Exception {
        for (String path : MalformedRequests.PATHS) {
            HttpResponse<String> big = http.post(path, null, "{\"prompt\": \"" + "a".repeat((1 << 20) + 10) + "\"}");
            assertEquals(413, big.statusCode(), path);
            assertTrue(big.body().contains("larger than"), big.body());
        }
        assertEquals(404, http.get("/v1/nothing", null).statusCode());
        assertTrue(new JsonObject(http.get("/api/nothing", null).body()).getString("error").contains("no such"));
        Random random = new Random(SEED);
        for (int i = 0; i < 200; i++) {
            byte[] garbage = new byte[1 + random.nextInt(300)];
            random.nextBytes(garbage);
            String[] lines = {"GET / HTTP/9.9\r\n\r\n", "POST /api/inference HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                    "POST /api/inference HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n{}",
                    "POST /api/inference HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n\r\n",
                    "\u0000\u0001\u0002 / HTTP/1.1\r\n\r\n"};
            byte[] request = i % 2 == 0 ? garbage : lines[random.nextInt(lines.length)].getBytes(StandardCharsets.ISO_8859_1);
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setSoTimeout(10_000);
                OutputStream out = socket.getOutputStream();
                out.write(request);
                out.flush();
                socket.shutdownOutput();
                InputStream in = socket.getInputStream();
                String head = new String(in.readNBytes(12), StandardCharsets.ISO_8859_1);
                // Vert.x answers an HTTP version it does not implement with 501 before any handler runs.
                boolean unknownVersion = new String(request, StandardCharsets.ISO_8859_1).contains("HTTP/9.9");
                if (!head.isEmpty() && !head.matches("HTTP/\\d\\.\\d " + (unknownVersion ? "501" : "4\\d\\d"))) {
                    fail("raw request " + i + " got " + head);
                }
            }
        }
    }
}
