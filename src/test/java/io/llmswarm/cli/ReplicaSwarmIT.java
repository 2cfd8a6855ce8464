package io.llmswarm.cli;

import io.llmswarm.cluster.TestClusters;
import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.ModelMaker;
import io.llmswarm.gguf.ModelSpec;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two llama.cpp replica processes ({@code --backend llamacpp --parallel 2}) and a two-shard Java
 * pipeline (two more processes) serve the same 8-layer model, every one its own
 * {@code java -jar node.jar -cluster}. Twelve concurrent requests to one node's HTTP API (some
 * streamed as Server-Sent Events) all come back, spread over all three routes as their metadata
 * names them. Then a replica is killed (SIGKILL) while requests run on it: every request ends
 * within a bound, done elsewhere or failed with a reason naming the replica, and the swarm goes on.
 * Last, a shard of the pipeline is killed mid-stream while the other replica is present: the
 * replica goes on from the prompt and the text so far, and the user's stream loses no token.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ReplicaSwarmIT {

    @TempDir
    Path dir;

    private static final Duration WAIT = Duration.ofSeconds(90);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private int httpPort;

    @Test
    void requestsSpreadOverReplicasAndAPipelineAndAKilledReplicaLosesNoRequest() throws Exception {
        Path model = dir.resolve("replica-swarm.gguf");
        ModelMaker.write(ModelSpec.builder().blockCount(8).embeddingLength(512).feedForwardLength(1536).headCount(8)
                .headCountKv(4).vocabSize(400).contextLength(2048).allTypes(GgmlType.Q8_0).outputStd(0.5f).seed(11)
                .name("replica-swarm").build(), model);
        TestClusters cluster = new TestClusters(4);
        String join = String.join(",", cluster.memberAddresses());
        httpPort = TestClusters.freePorts(1).getFirst();
        try (NodeProcesses processes = new NodeProcesses(dir)) {
            for (int i = 0; i < 2; i++) {
                processes.start(model, cluster.name(), join, new NodeProcesses.Node("auto", cluster.member(i).port(), 1, "256m"),
                        new NodeProcesses.Extras(0, List.of("-Dde.kherud.llama.tmpdir=" + dir.resolve("native-" + i)),
                                List.of("--backend", "llamacpp", "--parallel", "2")));
            }
            processes.start(model, cluster.name(), join, new NodeProcesses.Node("0-3", cluster.member(2).port(), 1, "256m"),
                    new NodeProcesses.Extras(httpPort, List.of(), List.of()));
            processes.start(model, cluster.name(), join, new NodeProcesses.Node("4-7", cluster.member(3).port(), 1, "256m"));
            processes.awaitStarted(Duration.ofMinutes(2));
            TestClusters.awaitTrue(WAIT, () -> readyNodes().size() == 4, () -> "four ready nodes: " + swarm() + processes.logs());
            Map<String, String> backends = readyNodes();
            List<String> replicas = backends.entrySet().stream().filter(e -> e.getValue().equals("llamacpp"))
                    .map(Map.Entry::getKey).sorted().toList();
            assertEquals(2, replicas.size(), backends.toString());

            // Twelve at once: eight as one JSON answer, four streamed.
            List<CompletableFuture<JsonObject>> burst = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                JsonObject request = new JsonObject().put("prompt", "Story " + i + " begins").put("max_tokens", 24)
                        .put("temperature", i % 2 == 0 ? 0 : 0.8).put("seed", i).put("ignore_eos", true);
                burst.add(i % 3 == 2 ? streamed(request) : plain(request));
            }
            Map<String, Integer> perRoute = new HashMap<>();
            for (CompletableFuture<JsonObject> answer : burst) {
                JsonObject body = answer.get(120, TimeUnit.SECONDS);
                assertEquals(200, body.getInteger("status"), body.encode());
                assertFalse(body.getString("result").isEmpty(), body.encode());
                assertTrue(body.getJsonObject("metadata").getInteger("tokens_generated") > 0, body.encode());
                String route = body.getJsonObject("metadata").getString("route");
                perRoute.merge(route.startsWith("llamacpp:") ? route.substring(9, route.indexOf('[')) : "pipeline", 1,
                        Integer::sum);
            }
            assertEquals(Map.of(replicas.get(0), true, replicas.get(1), true, "pipeline", true),
                    Map.of(replicas.get(0), perRoute.containsKey(replicas.get(0)), replicas.get(1),
                            perRoute.containsKey(replicas.get(1)), "pipeline", perRoute.containsKey("pipeline")),
                    "every route takes requests: " + perRoute);
            assertEquals(12, perRoute.values().stream().mapToInt(Integer::intValue).sum());
            System.out.println("requests per route: " + perRoute);

            // Long generations, then the first replica dies while it runs some of them.
            String victim = replicas.get(0);
            List<CompletableFuture<JsonObject>> running = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                running.add(plain(new JsonObject().put("prompt", "Long story " + i).put("max_tokens", 1500)
                        .put("temperature", 0).put("ignore_eos", true)));
            }
            TestClusters.awaitTrue(WAIT, () -> load(victim) > 0 || running.stream().allMatch(CompletableFuture::isDone),
                    () -> "requests running on " + victim + ": " + swarm());
            processes.kill(processIndex(victim));
            long killed = System.nanoTime();
            int affected = 0;
            for (CompletableFuture<JsonObject> answer : running) {
                JsonObject body = answer.get(120, TimeUnit.SECONDS); // bounded: nothing hangs
                String text = body.encode();
                System.out.printf("after the kill (%.1f s): %s%n", (System.nanoTime() - killed) / 1e9,
                        body.getInteger("status") == 200 ? body.getJsonObject("metadata").getString("route") + ", "
                                + body.getJsonObject("metadata").getJsonObject("shard_latencies").fieldNames() : text);
                if (body.getInteger("status") == 200) {
                    String route = body.getJsonObject("metadata").getString("route");
                    boolean retried = !route.contains(victim) && text.contains(victim);
                    affected += retried ? 1 : 0;
                } else {
                    assertEquals(500, body.getInteger("status"), text);
                    assertTrue(body.getString("error").contains(victim), "the failure names the dead replica: " + text);
                    affected++;
                }
            }
            assertTrue(affected > 0, "the kill hit a request in flight on " + victim);
            TestClusters.awaitTrue(WAIT, () -> !readyNodes().containsKey(victim), () -> "the dead replica to go: " + swarm());
            JsonObject after = plain(new JsonObject().put("prompt", "After").put("max_tokens", 8).put("temperature", 0))
                    .get(60, TimeUnit.SECONDS);
            assertEquals(200, after.getInteger("status"), after.encode());
            assertFalse(after.getJsonObject("metadata").getString("route").contains(victim), after.encode());

            // A pipeline shard dies mid-stream with a replica present: the replica goes on from the
            // prompt and the text so far. The replica is kept busy with one long request so that the
            // stream starts on the less loaded pipeline (its tokens have ids; a replica's have none).
            String survivor = replicas.get(1);
            CompletableFuture<JsonObject> occupying = plain(new JsonObject().put("prompt", "Busy").put("max_tokens", 1500)
                    .put("temperature", 0).put("ignore_eos", true));
            TestClusters.awaitTrue(WAIT, () -> load(survivor) > 0 || occupying.isDone(),
                    () -> "a request running on " + survivor + ": " + swarm());
            int pipelineShard = 3; // layers 4-7: no other Java node holds them
            List<JsonObject> events = new ArrayList<>();
            JsonObject done = streamEvents(new JsonObject().put("prompt", "The pipeline hands over").put("max_tokens", 200)
                    .put("temperature", 0).put("ignore_eos", true), events, token -> {
                        if (token.getInteger("index") == 5) {
                            assertTrue(token.getInteger("id") >= 0, "the stream started on the pipeline: " + token.encode());
                            try {
                                processes.kill(pipelineShard);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    });
            assertEquals(200, done.getInteger("status"), done.encode());
            StringBuilder pieces = new StringBuilder();
            for (int i = 0; i < events.size(); i++) {
                assertEquals(i, events.get(i).getInteger("index"), "every token once, in order");
                pieces.append(events.get(i).getString("text"));
            }
            assertTrue(events.getFirst().getInteger("id") >= 0 && events.getLast().getInteger("id") < 0,
                    "token ids from the pipeline, then text from the replica: " + events.getFirst() + " … " + events.getLast());
            assertTrue(done.getJsonObject("metadata").getString("route").startsWith("llamacpp:" + survivor), done.encode());
            assertEquals(done.getString("result"), pieces.toString(), "the streamed pieces make the result");
            assertEquals(200, occupying.get(120, TimeUnit.SECONDS).getInteger("status"));
        }
    }

    /** Streams a request: every token event into {@code events} (and to {@code onToken}), then the done or error event. */
    private JsonObject streamEvents(JsonObject body, List<JsonObject> events,
                                    Consumer<JsonObject> onToken) throws Exception {
        HttpResponse<Stream<String>> response = http.send(inference(body.copy().put("stream", true)).build(),
                HttpResponse.BodyHandlers.ofLines());
        String event = null;
        try (Stream<String> lines = response.body()) {
            for (String line : (Iterable<String>) lines::iterator) {
                if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    JsonObject data = new JsonObject(line.substring(6));
                    if (event == null) {
                        events.add(data);
                        onToken.accept(data);
                    } else {
                        return data.put("status", event.equals("done") ? 200 : 500);
                    }
                }
            }
        }
        throw new AssertionError("the stream ended without a done or error event");
    }

    /** Which process runs a node: its log (node-N.log in the test's folder) names the node id. */
    private int processIndex(String nodeId) throws IOException {
        for (int i = 0; i < 4; i++) {
            if (Files.readString(dir.resolve("node-" + i + ".log")).contains("node " + nodeId + " serves")) {
                return i;
            }
        }
        throw new AssertionError("no node log names node " + nodeId);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + httpPort + path);
    }

    private JsonObject swarm() {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri("/api/swarm")).timeout(Duration.ofSeconds(10))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            return new JsonObject(response.body());
        } catch (Exception e) {
            return new JsonObject().put("unreachable", e.toString());
        }
    }

    /** Ready nodes of the swarm by node id, with their backend. */
    private Map<String, String> readyNodes() {
        Map<String, String> nodes = new HashMap<>();
        var shards = swarm().getJsonArray("shards");
        if (shards != null) {
            for (int i = 0; i < shards.size(); i++) {
                JsonObject shard = shards.getJsonObject(i);
                if (shard.getBoolean("ready")) {
                    nodes.put(shard.getString("node_id"), shard.getString("backend"));
                }
            }
        }
        return nodes;
    }

    private int load(String nodeId) {
        var shards = swarm().getJsonArray("shards");
        for (int i = 0; shards != null && i < shards.size(); i++) {
            if (shards.getJsonObject(i).getString("node_id").equals(nodeId)) {
                return shards.getJsonObject(i).getInteger("load");
            }
        }
        return 0;
    }

    private HttpRequest.Builder inference(JsonObject body) {
        return HttpRequest.newBuilder(uri("/api/inference")).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    }

    /** The JSON answer with its HTTP status under "status". */
    private CompletableFuture<JsonObject> plain(JsonObject body) {
        return http.sendAsync(inference(body).build(), HttpResponse.BodyHandlers.ofString())
                .thenApply(response -> new JsonObject(response.body()).put("status", response.statusCode()));
    }

    /** A streamed answer: every token event, then the "done" event's answer (or the "error" event's). */
    private CompletableFuture<JsonObject> streamed(JsonObject body) {
        return http.sendAsync(inference(body.copy().put("stream", true)).build(), HttpResponse.BodyHandlers.ofLines())
                .thenApply(response -> {
                    StringBuilder tokens = new StringBuilder();
                    String event = null;
                    for (String line : (Iterable<String>) response.body()::iterator) {
                        if (line.startsWith("event: ")) {
                            event = line.substring(7);
                        } else if (line.startsWith("data: ")) {
                            JsonObject data = new JsonObject(line.substring(6));
                            if (event == null) {
                                tokens.append(data.getString("text"));
                            } else if (event.equals("done")) {
                                // (a pipeline's result may end with U+FFFD for bytes of a character left unfinished)
                                assertTrue(data.getString("result").startsWith(tokens.toString()),
                                        "the streamed pieces make the result: " + tokens + " / " + data.encode());
                                return data.put("status", 200);
                            } else {
                                return data.put("status", 500);
                            }
                        }
                    }
                    throw new AssertionError("the stream ended without a done or error event");
                });
    }
}
