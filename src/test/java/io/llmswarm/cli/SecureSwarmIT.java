package io.llmswarm.cli;

import io.llmswarm.cluster.ClusterTls;
import io.llmswarm.cluster.TestCertificates;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.coordinator.SwarmTestModel;
import io.llmswarm.gateway.TestHttp;
import io.llmswarm.inference.GenerationResult;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code java -jar node.jar -cluster} as an operator starts a protected swarm: two nodes with an
 * API-keys file, a cluster-secret file and event-bus TLS (layers 0-3 and 4-7, HTTP on loopback)
 * serve a generation to a client with a key and 401 to one without; a third node started without
 * the secret against the same members never joins them, and says at start that it is unprotected.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SecureSwarmIT {

    private static final String KEY = "it-api-key-000001";

    @TempDir
    Path dir;

    @Test
    void aProtectedSwarmServesKeyedClientsAndKeepsANodeWithoutTheSecretOut() throws Exception {
        Path model = SwarmTestModel.write(dir, 8);
        Path keys = Files.writeString(dir.resolve("api-keys"), "# operators\n" + KEY + "\n");
        Path secret = Files.writeString(dir.resolve("cluster-secret"), "a cluster secret for the IT\n");
        ClusterTls tls = TestCertificates.selfSigned(dir);
        TestClusters cluster = new TestClusters(3);
        String join = String.join(",", cluster.memberAddresses());
        List<String> protectedFlags = List.of("--http-host", "127.0.0.1", "--api-keys-file", keys.toString(),
                "--cluster-secret-file", secret.toString(), "--cluster-tls-key", tls.key().toString(),
                "--cluster-tls-cert", tls.cert().toString(), "--cluster-tls-trust", tls.trust().toString());
        try (NodeProcesses nodes = new NodeProcesses(dir);
             LocalModel local = SwarmTestModel.local(model)) {
            nodes.start(model, cluster.name(), join, new NodeProcesses.Node("0-3", cluster.member(0).port(), 1, "256m"),
                    new NodeProcesses.Extras(0, List.of(), protectedFlags));
            nodes.start(model, cluster.name(), join, new NodeProcesses.Node("4-7", cluster.member(1).port(), 1, "256m"),
                    new NodeProcesses.Extras(0, List.of(), protectedFlags));
            nodes.start(model, cluster.name(), join, new NodeProcesses.Node("4-7", cluster.member(2).port(), 1, "256m"),
                    new NodeProcesses.Extras(0, List.of(), List.of()));
            nodes.awaitStarted(Duration.ofMinutes(3));
            // Each node binds a free HTTP port itself (ports picked here could be taken before a node binds them).
            List<Integer> http = IntStream.range(0, 3).mapToObj(i -> httpPort(dir.resolve("node-" + i + ".log")))
                    .toList();
            TestHttp first = new TestHttp(http.get(0));
            TestClusters.awaitTrue(Duration.ofSeconds(60), () -> status(first, "/ready", null) == 200,
                    () -> "the protected swarm to be ready" + nodes.logs());

            HttpResponse<String> swarm = first.get("/api/swarm", KEY);
            assertEquals(200, swarm.statusCode(), swarm.body());
            assertEquals(2, new JsonObject(swarm.body()).getJsonArray("shards").size(), swarm.body());
            assertEquals(401, first.get("/api/swarm", null).statusCode());
            assertEquals(401, first.post("/v1/completions", "not-the-key-0000", "{\"prompt\": \"Hi\"}").statusCode());

            GenerationResult expected = SwarmTestModel.generate(local, "Once upon a time", 8, SamplingConfig.greedy(), true);
            HttpResponse<String> ok = first.post("/api/inference", KEY, new JsonObject().put("prompt", "Once upon a time")
                    .put("raw", true).put("max_tokens", 8).put("temperature", 0).put("ignore_eos", true).encode());
            assertEquals(200, ok.statusCode(), ok.body());
            assertEquals(local.tokenizer().decode(expected.tokens()).strip(),
                    new JsonObject(ok.body()).getString("result").strip());

            // The stranger formed a cluster of its own: it sees only itself, lacking layers 0-3.
            TestHttp stranger = new TestHttp(http.get(2));
            JsonObject alone = new JsonObject(stranger.get("/api/swarm", null).body());
            assertEquals(1, alone.getJsonArray("shards").size(), alone.encode());
            assertFalse(alone.getBoolean("ready"), alone.encode());
            String strangerLog = Files.readString(dir.resolve("node-2.log"));
            assertTrue(strangerLog.contains("WARNING: the HTTP API listens on 0.0.0.0"), strangerLog);
            String protectedLog = Files.readString(dir.resolve("node-0.log"));
            assertFalse(protectedLog.contains("WARNING ****"), protectedLog);
        }
    }

    private static int httpPort(Path log) {
        try {
            Matcher port = Pattern.compile("HTTP on [^ ]+:(\\d+)").matcher(Files.readString(log));
            if (!port.find()) {
                throw new AssertionError("no HTTP port in " + log);
            }
            return Integer.parseInt(port.group(1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int status(TestHttp http, String path, String key) {
        try {
            return http.get(path, key).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }
}
