package io.llmswarm.cli;

import io.llmswarm.cluster.LoopbackPorts;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.coordinator.SwarmTestModel;
import io.llmswarm.inference.GenerationResult;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A planned stop as an operator (or Kubernetes) makes it: two node.jar processes (layers 0-3 and
 * 4-7), a 100-token stream through both, SIGTERM to the 4-7 node's process at the eighth token.
 * The node drains: the stream finishes with the single process's tokens, without a fail-over,
 * and the node's process exits 0 afterwards.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class DrainIT {

    @TempDir
    Path dir;

    @Test
    void aStreamFinishesThroughANodeStoppedWithSigterm() throws Exception {
        Path model = SwarmTestModel.write(dir, 8);
        GenerationResult expected;
        try (LocalModel local = SwarmTestModel.local(model)) {
            expected = SwarmTestModel.generate(local, "Once upon a time", 100, SamplingConfig.greedy(), true);
        }
        TestClusters cluster = new TestClusters(2);
        String join = String.join(",", cluster.memberAddresses());
        int http = LoopbackPorts.free(1).getFirst();
        try (NodeProcesses processes = new NodeProcesses(dir)) {
            processes.start(model, cluster.name(), join, new NodeProcesses.Node("0-3", cluster.member(0).port(), 1, "256m"),
                    new NodeProcesses.Extras(http, List.of(), List.of()));
            processes.start(model, cluster.name(), join, new NodeProcesses.Node("4-7", cluster.member(1).port(), 1, "256m"),
                    new NodeProcesses.Extras(0, List.of(), List.of("--drain-timeout", "60s")));
            processes.awaitStarted(Duration.ofMinutes(2));
            HttpClient client = HttpClient.newHttpClient();
            TestClusters.awaitTrue(Duration.ofSeconds(60), () -> status(client, http) == 200,
                    () -> "the swarm to be ready" + processes.logs());

            HttpResponse<Stream<String>> response = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + http + "/api/inference")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("prompt", "Once upon a time")
                            .put("raw", true).put("max_tokens", 100).put("temperature", 0).put("ignore_eos", true)
                            .put("stream", true).encode())).build(), HttpResponse.BodyHandlers.ofLines());
            assertEquals(200, response.statusCode());
            int tokens = 0;
            String event = null;
            JsonObject done = null;
            Iterator<String> lines = response.body().iterator();
            while (lines.hasNext() && done == null) {
                String line = lines.next();
                if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    if ("done".equals(event)) {
                        done = new JsonObject(line.substring(6));
                    } else if ("error".equals(event)) {
                        throw new AssertionError("the stream failed: " + line + processes.logs());
                    } else if (++tokens == 8) {
                        processes.terminate(1);
                    }
                } else if (line.isEmpty()) {
                    event = null;
                }
            }
            assertNotNull(done, "a done event" + processes.logs());
            int[] ids = done.getJsonArray("tokens").stream().mapToInt(t -> ((Number) t).intValue()).toArray();
            assertArrayEquals(expected.tokens(), ids, done.encode());
            assertTrue(done.getJsonObject("metadata").getString("route").contains("[4-7]"), done.encode());

            Process stopped = processes.get(1);
            assertTrue(stopped.waitFor(90, TimeUnit.SECONDS), "the stopped node exits" + processes.logs());
            assertEquals(0, stopped.exitValue(), processes.logs());
            String log = Files.readString(dir.resolve("node-1.log"));
            assertTrue(log.contains("draining"), log);
        }
    }

    private static int status(HttpClient client, int port) {
        try {
            return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ready")).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }
}
