package io.llmswarm.bench;

import io.llmswarm.cli.NodeSettings;
import io.llmswarm.cli.Resilience;
import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.LoopbackPorts;
import io.llmswarm.cluster.ShardAnnouncement;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.gateway.GatewaySettings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The soak's swarm: two nodes in this JVM (layers 0-3, which takes the requests, and 4-7) and a
 * second 4-7 node as a separate {@code java -jar target/node.jar -cluster} process, the one that
 * is killed (SIGKILL, like a crash) and started again with the same layers, while requests run.
 */
final class SoakNodes implements AutoCloseable {

    private static final Duration WAIT = Duration.ofMinutes(3);

    private final Path model;
    private final TestClusters cluster;
    private final Path logDir;
    private final List<SwarmNode> inProcess = new ArrayList<>();
    private Process killable;
    private String killableId;
    private int started;

    SoakNodes(Path model, Path logDir) {
        this.model = model;
        this.cluster = new TestClusters(2);
        this.logDir = logDir;
    }

    /** Starts the two nodes in this JVM and the process, and waits until the head sees all three ready. */
    void start(GatewaySettings gateway, Resilience resilience) throws Exception {
        for (int i = 0; i < 2; i++) {
            inProcess.add(SwarmNode.start(new NodeSettings(model, i == 0 ? "0-3" : "4-7", cluster.member(i), 0, 1, 1L << 30)
                    .withGateway(gateway).withResilience(resilience)).await(120, TimeUnit.SECONDS));
        }
        startKillable();
    }

    SwarmNode head() {
        return inProcess.getFirst();
    }

    List<SwarmNode> inProcess() {
        return inProcess;
    }

    /** The node id of the process node now running. */
    String killableId() {
        return killableId;
    }

    /** Starts the process node (layers 4-7, a fresh Hazelcast port) and waits until the head sees it ready. */
    String startKillable() throws Exception {
        Path jar = Path.of(System.getProperty("node.jar", "target/node.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: run mvn package -DskipTests first (bench/load --kill-every does)");
        }
        int port = LoopbackPorts.free(1).getFirst();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+UseSerialGC", "-Dhazelcast.wait.seconds.before.join=0", "-jar", jar.toString(), "-cluster",
                "--model", model.toString(), "--layers", "4-7", "--cluster-name", cluster.name(), "--cluster-host", "127.0.0.1",
                "--cluster-port", String.valueOf(port), "--join", String.join(",", cluster.memberAddresses()),
                "--threads", "1", "--memory", "512m", "--http-host", "127.0.0.1", "--http-port", "0"));
        Files.createDirectories(logDir);
        killable = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(logDir.resolve("soak-node-" + started++ + ".log").toFile()).start();
        String before = killableId;
        TestClusters.awaitTrue(WAIT, () -> processNode().filter(id -> !id.equals(before)).isPresent(),
                () -> "the restarted 4-7 node to be announced ready: " + head().coordinator().status().toJson());
        killableId = processNode().orElseThrow();
        return killableId;
    }

    /** Kills the process node at once (the JVM node.jar relaunched, then its launcher) and waits until the head sees it gone. */
    void killKillable() throws InterruptedException {
        killable.descendants().forEach(ProcessHandle::destroyForcibly);
        killable.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        String gone = killableId;
        TestClusters.awaitTrue(WAIT, () -> head().coordinator().status().shards().stream()
                .noneMatch(s -> s.nodeId().equals(gone)), () -> "the killed node's announcement to go");
    }

    /** The ready 4-7 node that is not in this JVM. */
    private Optional<String> processNode() {
        String second = inProcess.get(1).nodeId();
        return head().coordinator().status().shards().stream().filter(ShardAnnouncement::ready)
                .filter(s -> s.layers().first() == 4 && !s.nodeId().equals(second)).map(ShardAnnouncement::nodeId).findFirst();
    }

    @Override
    public void close() throws Exception {
        if (killable != null) {
            killable.descendants().forEach(ProcessHandle::destroyForcibly);
            killable.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        for (SwarmNode node : inProcess) {
            node.close(Duration.ofSeconds(20));
        }
    }

    static Path logDir() throws IOException {
        return Files.createDirectories(Path.of("bench", "out"));
    }
}
