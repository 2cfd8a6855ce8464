package io.llmswarm.cli;

import io.llmswarm.cluster.TestClusters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Node processes for tests and benchmarks: separate JVMs with the node's JVM options, logs in a folder. */
final class NodeProcesses implements AutoCloseable {

    /** How one node process runs: its layers, Hazelcast port, kernel threads and heap. */
    record Node(String layers, int port, int threads, String heap) {
    }

    private final Path logDir;
    private final List<Process> processes = new ArrayList<>();
    private final List<List<String>> commands = new ArrayList<>();

    NodeProcesses(Path logDir) {
        this.logDir = logDir;
    }

    /** What else a node process gets: its HTTP port (0: a free one), JVM options, and more node flags. */
    record Extras(int httpPort, List<String> jvmOptions, List<String> flags) {
        static final Extras NONE = new Extras(0, List.of(), List.of());
    }

    /** Starts a node of cluster {@code clusterName} that contacts the members in {@code join}. */
    Process start(Path model, String clusterName, String join, Node node) throws IOException {
        return start(model, clusterName, join, node, Extras.NONE);
    }

    Process start(Path model, String clusterName, String join, Node node, Extras extras) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // Exactly as a user starts a node: java -jar node.jar -cluster … (the jar adds its own JVM flags).
        command.addAll(List.of("-Xmx" + node.heap(), "-XX:+UseSerialGC", "-Dhazelcast.wait.seconds.before.join=0"));
        command.addAll(extras.jvmOptions());
        command.addAll(List.of("-jar", nodeJar().toString(), "-cluster", "--model", model.toString(), "--layers", node.layers(),
                "--cluster-name", clusterName, "--cluster-host", "127.0.0.1",
                "--cluster-port", String.valueOf(node.port()), "--join", join,
                "--threads", String.valueOf(node.threads()), "--memory", "512m",
                "--http-port", String.valueOf(extras.httpPort())));
        command.addAll(extras.flags());
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(logDir.resolve("node-" + processes.size() + ".log").toFile()).start();
        processes.add(process);
        commands.add(command);
        return process;
    }

    /** Starts node {@code i} again with the same command (after it stopped), its log appended. */
    Process restart(int i) throws IOException {
        Process process = new ProcessBuilder(commands.get(i)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logDir.resolve("node-" + i + ".log").toFile())).start();
        processes.set(i, process);
        return process;
    }

    /** The packaged node.jar (failsafe passes its path; run {@code mvn package} first otherwise). */
    static Path nodeJar() {
        Path jar = Path.of(System.getProperty("node.jar", "target/node.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: run mvn package first");
        }
        return jar;
    }

    Process get(int i) {
        return processes.get(i);
    }

    /** Kills node {@code i} at once, like a crash: the JVM that node.jar relaunched first, then its launcher. */
    void kill(int i) throws InterruptedException {
        Process process = processes.get(i);
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
    }

    /** Sends a signal (STOP, CONT, …) to node {@code i}'s JVMs: the one node.jar relaunched, and its launcher. */
    void signal(int i, String signal) throws IOException, InterruptedException {
        Process process = processes.get(i);
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
        process.descendants().forEach(child -> command.add(String.valueOf(child.pid())));
        command.add(String.valueOf(process.pid()));
        Process kill = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + signal + " failed: " + new String(kill.getInputStream().readAllBytes()));
        }
    }

    /**
     * Sends SIGTERM to node {@code i}'s launcher only, as a service manager or Kubernetes does: the
     * launcher passes it on to the node's JVM once.
     */
    void terminate(int i) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-TERM", String.valueOf(processes.get(i).pid())).redirectErrorStream(true).start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -TERM failed: " + new String(kill.getInputStream().readAllBytes()));
        }
    }

    /** Waits until every node has logged that it serves its layers (it is then announced ready). */
    void awaitStarted(Duration timeout) {
        TestClusters.awaitTrue(timeout, () -> {
            for (int i = 0; i < processes.size(); i++) {
                try {
                    if (!Files.readString(logDir.resolve("node-" + i + ".log")).contains(" serves layers ")) {
                        return false;
                    }
                } catch (IOException e) {
                    return false;
                }
            }
            return true;
        }, () -> "the nodes to start:" + logs());
    }

    /** The tail of every node's log, for a failure message. */
    String logs() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < processes.size(); i++) {
            try {
                String log = Files.readString(logDir.resolve("node-" + i + ".log"));
                text.append("\n--- node ").append(i).append(":\n")
                        .append(log.length() > 3000 ? log.substring(log.length() - 3000) : log);
            } catch (IOException e) {
                text.append("\n--- node ").append(i).append(": ").append(e);
            }
        }
        return text.toString();
    }

    /** Kills every process and waits for each to end. */
    @Override
    public void close() throws InterruptedException {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (Process p : processes) {
            p.waitFor(20, TimeUnit.SECONDS);
        }
    }
}
