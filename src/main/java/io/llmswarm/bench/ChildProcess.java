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
 * them) and class path, {@code node} with the llama.cpp-current script, or llama.cpp-current's
 * native driver with {@code LD_LIBRARY_PATH} at the prebuilt llama.cpp libraries.
 */
final class ChildProcess {

    /**
     * node-llama-cpp would otherwise download and build llama.cpp from source where its prebuilt
     * binaries do not load, and look for a GPU; the benchmark wants its prebuilt CPU build or a failure.
     */
    static final Map<String, String> NODE_ENVIRONMENT = Map.of(
            "NODE_LLAMA_CPP_SKIP_DOWNLOAD", "true",
            "NODE_LLAMA_CPP_GPU", "false");

    /** Where the npm package keeps its prebuilt Linux x64 libraries, under its folder. */
    static final Path NPM_LIBRARIES = Path.of("node_modules", "@node-llama-cpp", "linux-x64", "bins", "linux-x64");
    /** Where {@code bench/llama-current/native/build} writes the native driver, under the package folder. */
    static final Path NATIVE_DRIVER = Path.of("native", "bin", "generate");

    /**
     * llama.cpp-current's native driver: the compiled {@code generate.c} and the folder of the
     * libraries it runs on (libllama, libggml, libggml-base and the CPU variants ggml picks from).
     */
    record Native(Path executable, Path libraries) {

        /**
         * {@code executable} (null: the build's, in {@code nodePackage}) on {@code libraries} (null: the
         * executable's own folder where a libllama lies there, as pack-for-device lays them out, else
         * the npm package's bins folder).
         */
        static Native of(Path nodePackage, Path executable, Path libraries) {
            Path driver = executable != null ? executable : nodePackage.resolve(NATIVE_DRIVER);
            if (libraries != null) {
                return new Native(driver, libraries);
            }
            Path beside = driver.toAbsolutePath().getParent();
            return new Native(driver, beside != null && holdsLibllama(beside) ? beside : nodePackage.resolve(NPM_LIBRARIES));
        }

        static boolean holdsLibllama(Path folder) {
            try (var files = Files.list(folder)) {
                return files.map(file -> file.getFileName().toString())
                        .anyMatch(name -> name.startsWith("libllama.") && name.endsWith(".so"));
            } catch (IOException e) {
                return false;
            }
        }
    }

    private final Path logDirectory;
    private final long timeoutSeconds;
    private final Path nodePackage;
    private final Native nativeDriver;

    /** {@code nodePackage}: the folder of the llama.cpp-current script and its node_modules ({@code bench/llama-current}). */
    ChildProcess(Path logDirectory, long timeoutSeconds, Path nodePackage) {
        this(logDirectory, timeoutSeconds, nodePackage, Native.of(nodePackage, null, null));
    }

    /** As above, with llama.cpp-current's native driver where {@code nativeDriver} says. */
    ChildProcess(Path logDirectory, long timeoutSeconds, Path nodePackage, Native nativeDriver) {
        this.logDirectory = logDirectory;
        this.timeoutSeconds = timeoutSeconds;
        this.nodePackage = nodePackage;
        this.nativeDriver = nativeDriver;
    }

    /** The command line that runs {@code request} on {@code contender}. */
    List<String> command(Contender contender, GenerationRequest request) {
        List<String> command = new ArrayList<>();
        switch (contender.process()) {
            case JVM -> {
                command.add(ProcessHandle.current().info().command()
                        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
                command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
                command.addAll(contender.jvmOptions()); // after the parent's, so that they win
                command.add("-cp");
                command.add(System.getProperty("java.class.path"));
            }
            case NODE -> {
                command.add("node");
                command.add(nodePackage.resolve(Backend.NODE_SCRIPT).toAbsolutePath().toString());
            }
            case NATIVE -> command.add(nativeDriver.executable().toAbsolutePath().toString());
        }
        command.addAll(contender.backend().childArguments(request));
        return command;
    }

    /**
     * What the child's environment gets on top of this process's: node-llama-cpp's switches for
     * node, the libraries' folder first on {@code LD_LIBRARY_PATH} for the native driver
     * ({@code inherited}: this process's {@code LD_LIBRARY_PATH}, or null).
     */
    Map<String, String> environment(Contender contender, String inherited) {
        return switch (contender.process()) {
            case JVM -> Map.of();
            case NODE -> NODE_ENVIRONMENT;
            case NATIVE -> {
                String libraries = nativeDriver.libraries().toAbsolutePath().toString();
                yield Map.of("LD_LIBRARY_PATH",
                        inherited == null || inherited.isEmpty() ? libraries : libraries + ":" + inherited);
            }
        };
    }

    /** Runs {@code request} on {@code contender}; {@code runName} names the run's log files (.out, .err, .command). */
    GenerationResult run(Contender contender, GenerationRequest request, String runName) throws IOException, InterruptedException {
        checkInstalled(contender);
        Path stdout = logDirectory.resolve(runName + ".out");
        Path stderr = logDirectory.resolve(runName + ".err");
        List<String> command = command(contender, request);
        Map<String, String> environment = environment(contender, System.getenv("LD_LIBRARY_PATH"));
        // beside the logs, so that a row's JVM options, script or driver can be checked afterwards
        StringBuilder line = new StringBuilder();
        environment.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(variable -> line.append(variable.getKey()).append('=').append(variable.getValue()).append(' '));
        Files.writeString(logDirectory.resolve(runName + ".command"), line + String.join(" ", command) + "\n");
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile());
        builder.environment().putAll(environment);
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

    /** Fails with what to do where llama.cpp-current's driver is not there. */
    private void checkInstalled(Contender contender) throws IOException {
        if (contender.process() == Backend.Process.NODE
                && !Files.isDirectory(nodePackage.resolve("node_modules").resolve("node-llama-cpp"))) {
            throw new IOException("node-llama-cpp is not installed in " + nodePackage
                    + ": run 'NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --omit=optional --no-save' there"
                    + " (bench/run does it on first use)");
        }
        if (contender.process() == Backend.Process.NATIVE) {
            if (!Files.isExecutable(nativeDriver.executable())) {
                throw new IOException("no native llama.cpp-current driver at " + nativeDriver.executable()
                        + ": build it with bench/llama-current/native/build (bench/run does it on first use)");
            }
            if (!Native.holdsLibllama(nativeDriver.libraries())) {
                throw new IOException("no libllama.*.so in " + nativeDriver.libraries()
                        + " for the native llama.cpp-current driver (--llama-current-libs)");
            }
        }
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
