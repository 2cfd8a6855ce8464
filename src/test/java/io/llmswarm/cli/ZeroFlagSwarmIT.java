package io.llmswarm.cli;

import io.llmswarm.cluster.TestClusters;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The design card's first use: three processes started with {@code java -jar node.jar -cluster}
 * and nothing else, each in an empty working folder, serve the bundled demo model, take the next
 * free cluster and HTTP ports, find each other on this machine and form one ready swarm that splits
 * the model's layers among them (none announces all of them, together they cover them); one of
 * them answers a question over HTTP; no log holds a stack trace. A fourth node given an HTTP port
 * that is taken stops with one clear line.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ZeroFlagSwarmIT {

    private static final Pattern SERVES = Pattern.compile("HTTP on [^:]+:(\\d+)");

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void threeNodesWithoutFlagsFormOneSwarm() throws Exception {
        List<Process> processes = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                Path folder = Files.createDirectories(dir.resolve("node-" + i));
                Path log = dir.resolve("node-" + i + ".log");
                logs.add(log);
                processes.add(start(folder, log, List.of()));
                // One at a time: each finds the ones before it (a node that starts alone becomes the cluster).
                awaitLog(log, "HTTP on ");
            }
            Set<Integer> ports = new HashSet<>();
            for (Path log : logs) {
                String text = Files.readString(log);
                assertTrue(text.contains("no --model given: serving the bundled demo model"), text);
                Matcher m = SERVES.matcher(text);
                assertTrue(m.find(), text);
                ports.add(Integer.parseInt(m.group(1)));
            }
            assertEquals(3, ports.size(), "each node took its own HTTP port: " + ports);
            int port = ports.iterator().next();
            TestClusters.awaitTrue(Duration.ofSeconds(60), () -> swarm(port).getJsonArray("shards", new JsonArray()).size() == 3,
                    () -> "three nodes in one swarm: " + swarm(port));
            // --layers auto: each later node took the back half of a span, whose node then announced its front half.
            TestClusters.awaitTrue(Duration.ofSeconds(60), () -> splitAmongThree(swarm(port)),
                    () -> "the demo model's 8 layers split among the three nodes: " + swarm(port));
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/inference"))
                    .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("prompt", "What is a dog?")
                            .put("max_tokens", 16).put("temperature", 0).encode())).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, answer.statusCode(), answer.body());
            assertFalse(new JsonObject(answer.body()).getString("result", "").isBlank(), answer.body());

            // A fourth node told to use a port that is taken: one line, no stack trace, a non-zero exit.
            try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
                Path log = dir.resolve("node-taken.log");
                Process fourth = start(Files.createDirectories(dir.resolve("node-taken")), log,
                        List.of("--http-port", String.valueOf(taken.getLocalPort()), "--http-host", "127.0.0.1"));
                assertTrue(fourth.waitFor(120, TimeUnit.SECONDS), "the fourth node stops");
                assertTrue(fourth.exitValue() != 0);
                String text = Files.readString(log);
                assertTrue(text.contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()), text);
                assertFalse(text.contains("\tat "), "no stack trace: " + text);
            }
            for (Path log : logs) {
                String text = Files.readString(log);
                assertFalse(text.contains("\tat "), "no stack trace in " + log + ": " + text);
            }
        } finally {
            for (Process p : processes) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
            }
        }
    }

    /** {@code java -jar node.jar -cluster} and the given flags, in {@code folder}, with no LLMSWARM_* variables. */
    private static Process start(Path folder, Path log, List<String> flags) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-jar", NodeProcesses.nodeJar().toAbsolutePath().toString(), "-cluster", "--threads", "1"));
        command.addAll(flags);
        ProcessBuilder builder = new ProcessBuilder(command).directory(folder.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(key -> key.startsWith("LLMSWARM_"));
        return builder.start();
    }

    private static void awaitLog(Path log, String text) {
        TestClusters.awaitTrue(Duration.ofSeconds(120), () -> read(log).contains(text),
                () -> log + " to say '" + text + "': " + read(log));
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (Exception e) {
            return e.toString();
        }
    }

    private JsonObject swarm(int port) {
        try {
            return new JsonObject(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/swarm"))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString()).body());
        } catch (Exception e) {
            return new JsonObject().put("unreachable", e.toString());
        }
    }

    /** Three ready nodes, none announcing all 8 layers, every layer announced by one of them. */
    private static boolean splitAmongThree(JsonObject swarm) {
        JsonArray shards = swarm.getJsonArray("shards", new JsonArray());
        boolean[] covered = new boolean[8];
        int ready = 0;
        for (int i = 0; i < shards.size(); i++) {
            JsonObject shard = shards.getJsonObject(i);
            if (!shard.getBoolean("ready", false)) {
                continue;
            }
            ready++;
            int first = shard.getInteger("layer_start");
            int last = shard.getInteger("layer_end");
            if (first == 0 && last == 7) {
                return false;
            }
            for (int l = first; l <= last && l < 8; l++) {
                covered[l] = true;
            }
        }
        for (boolean c : covered) {
            if (!c) {
                return false;
            }
        }
        return ready == 3;
    }
}
