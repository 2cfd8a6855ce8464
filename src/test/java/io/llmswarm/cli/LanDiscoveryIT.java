package io.llmswarm.cli;

import io.llmswarm.cluster.TestClusters;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two "machines" on one LAN: two network namespaces joined by a veth pair, a node in each started
 * with {@code -cluster --cluster-host <its LAN address>} and no {@code --join}: they find each other
 * by the multicast beacon, split the demo model's layers and answer a question through both. Needs
 * root for the namespaces (CI runs as root); elsewhere it is skipped, saying why.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class LanDiscoveryIT {

    @TempDir
    Path dir;

    private final String tag = Long.toString(ProcessHandle.current().pid() % 100_000, 36);
    private final String[] namespaces = {"llmsw-a-" + tag, "llmsw-b-" + tag};
    private final String subnet = "10." + (200 + ThreadLocalRandom.current().nextInt(50)) + "."
            + ThreadLocalRandom.current().nextInt(250) + ".";
    private final List<Process> processes = new ArrayList<>();

    @Test
    void twoNodesOnALanFindEachOtherWithoutJoin() throws Exception {
        String veth = "lv" + tag;
        Assumptions.assumeTrue(run("ip", "netns", "add", namespaces[0]) == 0,
                "network namespaces need root (ip netns add failed)");
        check(run("ip", "netns", "add", namespaces[1]));
        check(run("ip", "link", "add", veth + "a", "type", "veth", "peer", "name", veth + "b"));
        for (int i = 0; i < 2; i++) {
            String ns = namespaces[i];
            String link = veth + (i == 0 ? "a" : "b");
            check(run("ip", "link", "set", link, "netns", ns));
            check(run("ip", "-n", ns, "addr", "add", subnet + (i + 1) + "/24", "dev", link));
            check(run("ip", "-n", ns, "link", "set", "lo", "up"));
            check(run("ip", "-n", ns, "link", "set", link, "up", "multicast", "on"));
            check(run("ip", "-n", ns, "route", "add", "224.0.0.0/4", "dev", link));
        }
        List<Path> logs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Path folder = Files.createDirectories(dir.resolve("node-" + i));
            Path log = dir.resolve("node-" + i + ".log");
            logs.add(log);
            List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespaces[i],
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-jar",
                    NodeProcesses.nodeJar().toAbsolutePath().toString(), "-cluster", "--threads", "1",
                    "--cluster-host", subnet + (i + 1), "--http-host", subnet + (i + 1)));
            ProcessBuilder builder = new ProcessBuilder(command).directory(folder.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            builder.environment().keySet().removeIf(key -> key.startsWith("LLMSWARM_"));
            processes.add(builder.start());
            // One after the other: the second hears the first's beacon and joins it.
            TestClusters.awaitTrue(Duration.ofSeconds(120), () -> read(log).contains("HTTP on "),
                    () -> log + " to say where it serves: " + read(log));
        }
        String url = "http://" + subnet + "1:8080";
        TestClusters.awaitTrue(Duration.ofSeconds(60), () -> layers(url).equals("0-3,4-7"),
                () -> "the two nodes to split the 8 layers: " + layers(url) + "\n" + read(logs.get(1)));
        String answer = curl(namespaces[0], "-s", "-X", "POST", url + "/api/inference", "-d",
                new JsonObject().put("prompt", "What is a dog?").put("max_tokens", 8).put("temperature", 0).encode());
        JsonObject body = new JsonObject(answer);
        assertFalse(body.getString("result", "").isBlank(), answer);
        assertEquals(2, body.getJsonObject("metadata").getJsonObject("shard_latencies").size(), "through both: " + answer);
        for (Path log : logs) {
            assertFalse(read(log).contains("\tat "), "no stack trace in " + log + ": " + read(log));
        }
    }

    private String layers(String url) {
        try {
            JsonArray shards = new JsonObject(curl(namespaces[0], "-s", url + "/api/swarm")).getJsonArray("shards");
            List<String> spans = new ArrayList<>();
            for (int i = 0; i < shards.size(); i++) {
                JsonObject shard = shards.getJsonObject(i);
                if (shard.getBoolean("ready", false)) {
                    spans.add(shard.getInteger("layer_start") + "-" + shard.getInteger("layer_end"));
                }
            }
            return String.join(",", spans.stream().sorted().toList());
        } catch (Exception e) {
            return e.toString();
        }
    }

    private static String curl(String namespace, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace, "curl", "--max-time", "60"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(90, TimeUnit.SECONDS));
        return out;
    }

    private static int run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        return process.waitFor(30, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }

    private static void check(int exit) {
        assertEquals(0, exit, "setting up the namespaces");
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (Exception e) {
            return e.toString();
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
        }
        for (String ns : namespaces) {
            run("ip", "netns", "del", ns); // takes its end of the veth pair, and so the pair, with it
        }
    }
}
