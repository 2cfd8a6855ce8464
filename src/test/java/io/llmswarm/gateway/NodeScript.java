package io.llmswarm.gateway;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs one of the Node.js scripts under {@code src/test/js} (Playwright with Debian's headless
 * Chromium), bounded in time, and reads the {@code FACT name=value} lines it prints.
 */
final class NodeScript {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path JS_DIR = Path.of("src/test/js");
    private static final String END = "\u0000end";

    /** The script's exit status, its whole output, and its facts. */
    record Run(int exitCode, String output) {
        Map<String, String> facts() {
            Map<String, String> facts = new HashMap<>();
            output.lines().filter(l -> l.startsWith("FACT ")).forEach(l -> {
                int eq = l.indexOf('=');
                facts.put(l.substring(5, eq), l.substring(eq + 1));
            });
            return facts;
        }
    }

    private NodeScript() {
    }

    /** Fails the test unless Chromium and the script's node modules are there. */
    static void assertBrowserThere() {
        assertTrue(Files.isExecutable(CHROMIUM), CHROMIUM + " is missing: install Debian's chromium (.ci/run does)");
        assertTrue(Files.isDirectory(JS_DIR.resolve("node_modules/playwright-core")),
                JS_DIR.resolve("node_modules") + " lacks playwright-core: run npm ci --prefix src/test/js");
    }

    /** Runs at a script's cue line, with the facts printed so far. */
    @FunctionalInterface
    interface Cue {
        void run(Map<String, String> facts) throws Exception;
    }

    static Run run(String script, Duration limit, String... args) throws Exception {
        return run(script, limit, null, null, args);
    }

    /** As {@link #run(String, Duration, String...)}, and when the script prints {@code cueLine}, runs {@code cue}. */
    static Run run(String script, Duration limit, String cueLine, Cue cue, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("node", JS_DIR.resolve(script).toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader in = process.inputReader(StandardCharsets.UTF_8)) {
                in.lines().forEach(lines::add);
            } catch (IOException e) {
                lines.add("(reading the script's output failed: " + e + ")");
            } finally {
                lines.add(END);
            }
        });
        StringBuilder output = new StringBuilder();
        long deadline = System.nanoTime() + limit.toNanos();
        try {
            String line;
            while (!END.equals(line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS))) {
                if (line == null) {
                    throw new AssertionError(script + " ran over " + limit + ":\n" + output);
                }
                output.append(line).append('\n');
                if (line.equals(cueLine)) {
                    cue.run(new Run(0, output.toString()).facts());
                }
            }
            assertTrue(process.waitFor(10, TimeUnit.SECONDS), "the script exits after its output ends");
            return new Run(process.exitValue(), output.toString());
        } finally {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }
}
