package io.llmswarm.cli;

import io.llmswarm.client.TwoNodeDemoSwarm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code java -jar target/node.jar chat} as a user types it, prompts piped to its stdin (through the
 * jar's relaunch), against two demo-model nodes in this JVM.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ChatCommandIT {

    @Test
    void pipedPromptsAreAnsweredOnStdoutWithASummaryEachOnStderr() throws Exception {
        try (TwoNodeDemoSwarm swarm = TwoNodeDemoSwarm.start()) {
            Path err = Files.createTempFile("chat-err", ".txt");
            List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-jar", NodeProcesses.nodeJar().toString(), "chat", "--url", swarm.url(0),
                    "--temperature", "0", "--max-tokens", "48", "--chat-format");
            Process process = new ProcessBuilder(command).redirectError(err.toFile()).start();
            try (OutputStream stdin = process.getOutputStream()) {
                stdin.write("What is artificial intelligence?\nWhat is artificial intelligence?\n"
                        .getBytes(StandardCharsets.UTF_8));
            }
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "chat ends when stdin does");
            String stderr = Files.readString(err);
            assertEquals(0, process.exitValue(), out + stderr);
            List<String> answers = out.lines().toList();
            assertEquals(2, answers.size(), out + stderr);
            for (String answer : answers) {
                assertTrue(answer.startsWith(TwoNodeDemoSwarm.GLOSS_START), out + stderr);
            }
            assertEquals(2, stderr.lines().filter(line -> line.startsWith("[route ")).count(), stderr);
        }
    }
}
