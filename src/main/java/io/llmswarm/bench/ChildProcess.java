package io.llmswarm.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one generation in a fresh process, so that each backend's peak resident memory is its own,
 * and reads the JSON line it prints: a JVM with this JVM's options (and a Java variant's own after
 * them) and class path, or {@code node} with the llama.cpp-current script.
 */
final class ChildProcess {

    /**
     * node-llama-cpp would otherwise download and build llama.cpp from source where its prebuilt
     * binaries do not load, and look for a GPU; the benchmark wants its prebuilt CPU build or a failure.
     */
    static final Map<String, String> NODE_ENVIRONMENT = Map.of(
            "NODE_LLAMA_CPP_SKIP_DOWNLOAD", "true",
            "NODE_LLAMA_CPP_GPU", "false");

    private final Path logDirectory;
    private final long timeoutSeconds;
    private final Path nodePackage;

    /** {@code nodePackage}: the folder of the llama.cpp-current script and its node_modules ({@code bench/llama-current}). */
    ChildProcess(Path logDirectory, long timeoutSeconds, Path nodePackage) {
        this.logDirectory = logDirectory;
        this.timeoutSeconds = timeoutSeconds;
        this.nodePackage = nodePackage;
    }

    /** The command line that runs {@code request} on {@code contender}. */
    List<String> command(Contender contender, GenerationRequest request) {
        List<String> command = new ArrayList<>();
        if (contender.backend().process() == Backend.Process.JVM) {
            command.add(ProcessHandle.current().info().command()
                    .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
            command.addAll(contender.jvmOptions()); // after the parent's, so that they win
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
        } else {
            command.add("node");
            command.add(nodePackage.resolve(Backend.NODE_SCRIPT).toAbsolutePath().toString());
        }
        command.addAll(contender.backend().childArguments(request));
        return command;
    }

    /** Runs {@code request} on {@code contender}; {@code runName} names the run's log files (.out, .err, .command). */
    GenerationResult run(Contender contender, GenerationRequest request, String runName) throws IOException, InterruptedException {
        if (contender.backend().process() == Backend.Process.NODE
                && !Files.isDirectory(nodePackage.resolve("node_modules").resolve("node-llama-cpp"))) {
            throw new IOException("node-llama-cpp is not installed in " + nodePackage
                    + ": run 'npm ci --omit=optional' there (bench/run does it on first use)");
        }
        Path stdout = logDirectory.resolve(runName + ".out");
        Path stderr = logDirectory.resolve(runName + ".err");
        List<String> command = command(contender, request);
        // beside the logs, so that a row's JVM options or script can be checked afterwards
        Files.writeString(logDirectory.resolve(runName + ".command"), String.join(" ", command) + "\n");
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile());
        if (contender.backend().process() == Backend.Process.NODE) {
            builder.environment().putAll(NODE_ENVIRONMENT);
        }
        Process child = builder.start();
        if (!child.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            child.destroyForcibly().waitFor();
            throw new IOException(contender.label() + " on " + request.model() + " ran past " + timeoutSeconds + " s");
        }
        String output = Files.readString(stdout, StandardCharsets.UTF_8);
        String jsonLine = lastJsonLine(output);
        if (child.exitValue() != 0 || jsonLine == null) {
            throw new IOException("exit " + child.exitValue() + (jsonLine == null ? ", no JSON line" : "")
                    + "; log " + stderr + " ends: " + lastLines(Files.readString(stderr, StandardCharsets.UTF_8), 2));
        }
        return GenerationResult.fromJson(jsonLine, stdout.toString());
    }

    private static String lastJsonLine(String output) {
        String found = null;
        for (String line : output.split("\n")) {
            if (line.startsWith("{") && line.trim().endsWith("}")) {
                found = line.trim();
            }
        }
        return found;
    }

    private static String lastLines(String text, int count) {
        String[] lines = text.strip().split("\n");
        return String.join(" | ", List.of(lines).subList(Math.max(0, lines.length - count), lines.length));
    }
}
