package io.llmswarm.cli;

import io.llmswarm.cluster.LoopbackPorts;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.ModelMaker;
import io.llmswarm.gguf.ModelSpec;
import io.llmswarm.shard.ShardService;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Breaks a swarm of separate {@code java -jar node.jar -cluster} processes on purpose, while a
 * user's stream runs, and checks what the user sees. The layout makes routes predictable: the
 * planner prefers fewer hops, so a node holding layers 0-5 with the 6-7 node is the route
 * (2 hops) and the 0-3 / 4-5 / 6-7 chain (3 hops) is the way around it.
 * <ol>
 *   <li>SIGSTOP of the 0-5 node past the step deadline: the stream moves to the chain, resumes, and
 *       equals the stream without a fault; the resumed node's session is freed.</li>
 *   <li>SIGKILL of the 0-5 node mid-stream: the same.</li>
 *   <li>SIGKILL of the only 4-5 node mid-stream: an error event names layers 4-5 and the pipeline
 *       state says FAILED with that reason.</li>
 *   <li>A 0-5 node that returns NaN hidden states: every request still equals the reference, the
 *       rejections are counted, and after three the node's circuit opens and routes avoid it.</li>
 *   <li>The coordinating node killed mid-stream: the other shards free its sessions by expiry.</li>
 * </ol>
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class FaultsIT {

    private static final int E = 0;
    private static final int A = 1;
    private static final int C = 2;
    private static final int V = 3;
    private static final int TOKENS = 200;
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final List<String> RESILIENCE = List.of("--step-timeout", "3s", "--session-idle-timeout", "3s",
            "--circuit-open-for", "60s", "--max-failovers", "5");

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    /** One streamed answer as the user saw it. */
    record Stream(String requestId, List<Integer> indexes, List<Integer> ids, JsonObject done, String error) {
    }

    @Test
    void streamsSurviveStoppedKilledAndCorruptShards() throws Exception {
        Path model = dir.resolve("faults.gguf");
        ModelMaker.write(ModelSpec.builder().blockCount(8).embeddingLength(128).feedForwardLength(384).headCount(4)
                .headCountKv(2).vocabSize(400).contextLength(512).allTypes(GgmlType.Q8_0).outputStd(0.5f).seed(11)
                .name("faults").build(), model);
        TestClusters cluster = new TestClusters(6);
        String join = String.join(",", cluster.memberAddresses().subList(0, 4));
        List<Integer> httpPorts = LoopbackPorts.free(6);
        String[] layers = {"6-7", "0-3", "4-5", "0-5"};
        Path logs = Files.createDirectories(Path.of("target", "faults-it"));
        try (NodeProcesses nodes = new NodeProcesses(logs)) {
            for (int i = 0; i < layers.length; i++) {
                nodes.start(model, cluster.name(), join, new NodeProcesses.Node(layers[i], cluster.member(i).port(), 1, "256m"),
                        new NodeProcesses.Extras(httpPorts.get(i), List.of(), RESILIENCE));
            }
            nodes.awaitStarted(Duration.ofMinutes(3));
            String gateway = "http://127.0.0.1:" + httpPorts.get(E) + "/";
            awaitSwarm(gateway, 4, nodes);

            stream(gateway, index -> { }); // warms the JITs and opens the event-bus connections
            Stream reference = stream(gateway, index -> { });
            assertEquals(TOKENS, reference.ids().size(), "the reference stream: " + reference);
            assertTrue(route(reference).contains("[0-5]"), "two hops through the 0-5 node: " + route(reference));

            // 1. SIGSTOP past the 3 s step deadline, SIGCONT 5 s later (before the 8 s in which
            //    Hazelcast gives a silent member up).
            ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
            ScheduledFuture<?>[] resume = new ScheduledFuture<?>[1];
            Stream afterStop;
            try {
                afterStop = stream(gateway, index -> {
                    if (index == 5) {
                        signal(nodes, V, "STOP");
                        resume[0] = later.schedule(() -> signal(nodes, V, "CONT"), 5, TimeUnit.SECONDS);
                    }
                });
                resume[0].get(30, TimeUnit.SECONDS);
            } finally {
                later.shutdownNow();
            }
            assertSameStream(reference, afterStop, "after SIGSTOP of the 0-5 node");
            assertTrue(shardsUsed(afterStop).stream().anyMatch(name -> name.endsWith("[0-3]")),
                    "the chain around the stopped node took over: " + shardsUsed(afterStop));
            assertTrue(metric(gateway, "llmswarm_shard_faults_total{kind=\"timeout\"}") >= 1, "a timeout counted");
            awaitFreeSessions(gateway, 4, "the resumed node frees the session it was stopped in", nodes);

            // 2. SIGKILL mid-stream, another route present.
            Stream afterKill = stream(gateway, index -> {
                if (index == 5) {
                    kill(nodes, V);
                }
            });
            assertSameStream(reference, afterKill, "after SIGKILL of the 0-5 node");
            assertTrue(metric(gateway, "llmswarm_failovers_total") >= 2, "two fail-overs counted");

            // 3. SIGKILL of the only node for layers 4-5, mid-stream.
            Stream lost = stream(gateway, index -> {
                if (index == 5) {
                    kill(nodes, C);
                }
            });
            assertNotNull(lost.error(), "the stream ends with an error event: " + lost);
            assertTrue(lost.error().contains("4-5"), lost.error());
            assertTrue(lost.ids().size() < TOKENS, "it ended early: " + lost.ids().size());
            assertEquals(lost.ids().size(), lost.indexes().size());
            // The outcome (and so the error event) goes out once the final state is written.
            JsonObject[] state = {stateOf(gateway, lost.requestId())};
            assertEquals("FAILED", state[0].getString("status"), state[0].encode());
            assertTrue(state[0].getString("reason").contains("4-5"), state[0].encode());

            // 4. A node that answers with NaN hidden states, and a new 4-5 node.
            String join2 = join + "," + cluster.memberAddresses().get(4) + "," + cluster.memberAddresses().get(5);
            nodes.start(model, cluster.name(), join2, new NodeProcesses.Node("4-5", cluster.member(4).port(), 1, "256m"),
                    new NodeProcesses.Extras(httpPorts.get(4), List.of(), RESILIENCE));
            nodes.start(model, cluster.name(), join2, new NodeProcesses.Node("0-5", cluster.member(5).port(), 1, "256m"),
                    new NodeProcesses.Extras(httpPorts.get(5), List.of("-Dllmswarm.test.corrupt-hidden-states=true"),
                            RESILIENCE));
            nodes.awaitStarted(Duration.ofMinutes(3));
            awaitSwarm(gateway, 4, nodes);
            // Each request meets the corrupting node first (two hops beat three) until its circuit
            // opens (three faults: on a busy machine a slow step may count as one of them).
            Stream avoiding = null;
            for (int i = 0; i < 6 && avoiding == null; i++) {
                Stream corrupt = stream(gateway, index -> { });
                assertSameStream(reference, corrupt, "request " + i + " with a corrupting 0-5 node");
                if (i > 0 && shardsUsed(corrupt).stream().noneMatch(name -> name.endsWith("[0-5]"))) {
                    avoiding = corrupt;
                }
            }
            assertTrue(metric(gateway, "llmswarm_shard_faults_total{kind=\"invalid_result\"}") >= 1,
                    "NaN results rejected and counted");
            assertNotNull(avoiding, "after repeated faults the open circuit keeps the corrupting node off the route");

            // 5. The coordinating node dies mid-stream: the other shards free its sessions by expiry.
            String coordinatorA = "http://127.0.0.1:" + httpPorts.get(A) + "/";
            try {
                Stream cut = stream(coordinatorA, index -> {
                    if (index == 5) {
                        kill(nodes, A);
                    }
                });
                assertTrue(cut.done() == null, "the stream of a killed coordinator cannot finish: " + cut);
            } catch (IOException | UncheckedIOException expected) {
                // the connection to the killed node breaks (while the head or the lines are read)
            }
            awaitFreeSessions(gateway, 3, "shards free the sessions of a dead coordinator", nodes);
        }
    }

    private Stream stream(String base, IntConsumer onToken) throws Exception {
        JsonObject body = new JsonObject().put("prompt", "The swarm keeps going").put("max_tokens", TOKENS)
                .put("temperature", 0).put("ignore_eos", true).put("stream", true);
        HttpResponse<java.util.stream.Stream<String>> response = http.send(HttpRequest.newBuilder(URI.create(base + "api/inference"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode()))
                .timeout(Duration.ofSeconds(120)).build(), HttpResponse.BodyHandlers.ofLines());
        if (response.statusCode() != 200) {
            throw new AssertionError("HTTP " + response.statusCode() + " from " + base + ": "
                    + String.join("\n", response.body().toList()));
        }
        String requestId = response.headers().firstValue("X-Request-Id").orElseThrow();
        List<Integer> indexes = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        JsonObject done = null;
        String error = null;
        String event = null;
        try (java.util.stream.Stream<String> lines = response.body()) {
            for (String line : (Iterable<String>) lines::iterator) {
                if (line.startsWith("event: ")) {
                    event = line.substring(7).strip();
                } else if (line.startsWith("data: ")) {
                    JsonObject data = new JsonObject(line.substring(6));
                    if (event == null) {
                        indexes.add(data.getInteger("index"));
                        ids.add(data.getInteger("id"));
                        onToken.accept(data.getInteger("index"));
                    } else if (event.equals("done")) {
                        done = data;
                    } else if (event.equals("error")) {
                        error = data.getString("error");
                    }
                } else if (line.isEmpty()) {
                    event = null;
                }
            }
        }
        return new Stream(requestId, indexes, ids, done, error);
    }

    private JsonObject stateOf(String gateway, String requestId) {
        try {
            return getJson(gateway + "api/requests/" + requestId, 200);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void assertSameStream(Stream expected, Stream actual, String when) {
        assertNull(actual.error(), when + ": no error expected");
        assertNotNull(actual.done(), when + ": the stream ended with its done event");
        List<Integer> consecutive = IntStream.range(0, actual.indexes().size()).boxed().toList();
        assertEquals(consecutive, actual.indexes(), when + ": every token once, in order");
        assertEquals(expected.ids(), actual.ids(), when + ": the same greedy tokens as without the fault");
        assertEquals(expected.done().getString("result"), actual.done().getString("result"), when);
    }

    private static String route(Stream stream) {
        return stream.done().getJsonObject("metadata").getString("route");
    }

    /** Every hop a request used, on every route it tried: {@code node[layers]}. */
    private static Set<String> shardsUsed(Stream stream) {
        return stream.done().getJsonObject("metadata").getJsonObject("shard_latencies").fieldNames();
    }

    private JsonObject getJson(String url, int status) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(status, response.statusCode(), url + ": " + response.body());
        return new JsonObject(response.body());
    }

    private double metric(String base, String series) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + "metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " ([0-9.eE+-]+)$", Pattern.MULTILINE)
                .matcher(response.body());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private void awaitSwarm(String base, int shards, NodeProcesses nodes) {
        TestClusters.awaitTrue(WAIT, () -> {
            try {
                JsonObject swarm = getJson(base + "api/swarm", 200);
                return swarm.getBoolean("ready") && readyShards(swarm) >= shards;
            } catch (Exception | AssertionError e) {
                return false;
            }
        }, () -> "the swarm to show " + shards + " ready shards" + nodes.logs());
    }

    private static long readyShards(JsonObject swarm) {
        JsonArray list = swarm.getJsonArray("shards");
        return list.stream().map(JsonObject.class::cast).filter(s -> s.getBoolean("ready")).count();
    }

    /** Waits until {@code shards} shards are listed and every one has all its session slots free. */
    private void awaitFreeSessions(String base, int shards, String what, NodeProcesses nodes) {
        int[] seen = new int[1];
        TestClusters.awaitTrue(Duration.ofSeconds(30), () -> {
            try {
                JsonArray list = getJson(base + "api/swarm", 200).getJsonArray("shards");
                seen[0] = list.size();
                return list.size() == shards && list.stream().map(JsonObject.class::cast)
                        .allMatch(s -> s.getInteger("capacity") == ShardService.Settings.defaults().maxSessions()
                                && s.getInteger("load") == 0);
            } catch (Exception | AssertionError e) {
                return false;
            }
        }, () -> what + " (shards listed: " + seen[0] + ")" + nodes.logs());
    }

    private static void signal(NodeProcesses nodes, int node, String signal) {
        try {
            nodes.signal(node, signal);
        } catch (Exception e) {
            throw new AssertionError("cannot send SIG" + signal + " to node " + node, e);
        }
    }

    private static void kill(NodeProcesses nodes, int node) {
        try {
            nodes.kill(node);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while killing node " + node, e);
        }
    }
}
