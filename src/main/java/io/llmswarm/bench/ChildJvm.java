package io.llmswarm.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one generation in a fresh JVM with this JVM's options and class path, so that each
 * backend's peak resident memory is its own, and reads the JSON line it prints.
 */
final class ChildJvm {

    private final Path logDirectory;
    private final long timeoutSeconds;

    ChildJvm(Path logDirectory, long timeoutSeconds) {
        this.logDirectory = logDirectory;
        this.timeoutSeconds = timeoutSeconds;
    }

    /** Runs {@code request} on {@code backend}; {@code runName} names the run's log files. */
    GenerationResult run(Backend backend, GenerationRequest request, String runName) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.addAll(backend.childArguments(request));

        Path stdout = logDirectory.resolve(runName + ".out");
        Path stderr = logDirectory.resolve(runName + ".err");
        Process child = new ProcessBuilder(command)
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        if (!child.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            child.destroyForcibly().waitFor();
            throw new IOException(backend.label() + " on " + request.model() + " ran past " + timeoutSeconds + " s");
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
