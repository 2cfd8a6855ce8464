package io.llmswarm.cli;

import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.ClusterSettings;
import io.llmswarm.cluster.SwarmCluster;
import io.llmswarm.cluster.SwarmView;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.coordinator.CoordinatorVerticle;
import io.llmswarm.coordinator.SwarmTestModel;
import io.llmswarm.engine.LayerRange;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.inference.GenerationResult;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Four node processes, each its own JVM joined over Hazelcast TCP/IP on loopback, serve layers
 * 0-7, 8-15, 16-23 and 24-31 of a 32-layer model; this JVM joins as a lite member, waits for
 * readiness, and asks a node's coordinator for a generation over the event bus. The tokens must be
 * exactly the single-process engine's. Then one process is killed: its announcement goes, and a
 * new request is refused naming its layers.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class FourProcessSwarmTest {

    private static final String[] LAYERS = {"0-7", "8-15", "16-23", "24-31"};
    private static final Duration WAIT = Duration.ofSeconds(90);

    @Test
    void fourProcessesGiveTheSingleProcessTokensAndAKilledOneIsNamed() throws Exception {
        Path dir = Files.createTempDirectory("swarm-processes");
        Path model = SwarmTestModel.write(dir, 32);
        String fingerprint;
        try (GgufFile file = GgufFile.open(model)) {
            fingerprint = file.fingerprint();
        }
        GenerationResult expected;
        try (LocalModel local = SwarmTestModel.local(model)) {
            expected = SwarmTestModel.generate(local, "Once upon a time", 24, SamplingConfig.greedy(), true);
        }

        TestClusters cluster = new TestClusters(LAYERS.length + 1);
        List<String> nodes = cluster.memberAddresses().subList(0, LAYERS.length);
        List<Process> processes = new ArrayList<>();
        SwarmCluster client = null;
        try {
            for (int i = 0; i < LAYERS.length; i++) {
                processes.add(startNode(dir, model, cluster, i, String.join(",", nodes)));
            }
            ClusterSettings clientSettings = cluster.member(LAYERS.length).asLiteMember();
            client = SwarmCluster.join(clientSettings).await(60, TimeUnit.SECONDS);
            SwarmCluster observer = client;
            TestClusters.awaitTrue(WAIT, () -> observer.announcements().view(fingerprint, 32).isReady(),
                    () -> "the four processes to be ready: " + observer.announcements().view(fingerprint, 32).toJson()
                            + logs(dir));

            JsonObject reply = client.vertx().eventBus().<JsonObject>request(Addresses.GENERATE,
                    new JsonObject().put("prompt", "Once upon a time").put("max_tokens", 24).put("temperature", 0)
                            .put("ignore_eos", true),
                    new DeliveryOptions().setSendTimeout(60_000)).await(60, TimeUnit.SECONDS).body();
            int[] tokens = reply.getJsonArray("tokens").stream().mapToInt(t -> ((Number) t).intValue()).toArray();
            assertArrayEquals(expected.tokens(), tokens, reply.encode());
            assertEquals(4, reply.getJsonObject("metadata").getJsonObject("shard_latencies").size(), reply.encode());

            processes.get(2).destroyForcibly().waitFor(20, TimeUnit.SECONDS);
            TestClusters.awaitTrue(WAIT, () -> !observer.announcements().view(fingerprint, 32).isReady(),
                    () -> "readiness to turn false after the kill: "
                            + observer.announcements().view(fingerprint, 32).toJson());
            SwarmView view = observer.announcements().view(fingerprint, 32);
            assertEquals(List.of(new LayerRange(16, 23)), view.missingLayers());
            assertEquals(3, view.shards().size());

            ExecutionException refused = assertThrows(ExecutionException.class, () -> observer.vertx().eventBus()
                    .request(Addresses.GENERATE, new JsonObject().put("prompt", "Hi").put("max_tokens", 4),
                            new DeliveryOptions().setSendTimeout(30_000))
                    .toCompletionStage().toCompletableFuture().get(40, TimeUnit.SECONDS));
            ReplyException cause = assertInstanceOf(ReplyException.class, refused.getCause());
            assertEquals(CoordinatorVerticle.NOT_READY, cause.failureCode());
            assertTrue(cause.getMessage().contains("layers 16-23"), cause.getMessage());
        } finally {
            for (Process p : processes) {
                p.destroyForcibly();
            }
            for (Process p : processes) {
                p.waitFor(20, TimeUnit.SECONDS);
            }
            if (client != null) {
                client.close(Duration.ofSeconds(10));
            }
        }
    }

    private static Process startNode(Path dir, Path model, TestClusters cluster, int i, String join) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(Main.JVM_OPTIONS);
        command.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-Dhazelcast.wait.seconds.before.join=0",
                "-cp", System.getProperty("java.class.path"), NodeProcess.class.getName(),
                "-cluster", "--model", model.toString(), "--layers", LAYERS[i],
                "--cluster-name", cluster.name(), "--cluster-host", "127.0.0.1",
                "--cluster-port", String.valueOf(cluster.member(i).port()), "--join", join,
                "--threads", "1", "--memory", "512m"));
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("node-" + i + ".log").toFile()).start();
    }

    private static String logs(Path dir) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < LAYERS.length; i++) {
            try {
                String log = Files.readString(dir.resolve("node-" + i + ".log"));
                text.append("\n--- node ").append(i).append(":\n")
                        .append(log.length() > 3000 ? log.substring(log.length() - 3000) : log);
            } catch (Exception e) {
                text.append("\n--- node ").append(i).append(": ").append(e);
            }
        }
        return text.toString();
    }
}
