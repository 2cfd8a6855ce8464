package io.llmswarm.cli;

import io.llmswarm.client.TwoNodeDemoSwarm;
import io.llmswarm.cluster.TestClusters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code node chat} against two demo-model nodes in this JVM: answers on stdout, a summary per answer on stderr. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ChatCommandTest {

    private static TwoNodeDemoSwarm swarm;

    @BeforeAll
    static void startSwarm() throws Exception {
        swarm = TwoNodeDemoSwarm.start();
    }

    @AfterAll
    static void stopSwarm() throws Exception {
        if (swarm != null) {
            swarm.close();
        }
    }

    private record Run(int status, String out, String err) {
    }

    private static Run chat(String stdin, String... args) {
        ChatCommand command = new ChatCommand();
        command.input = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = new CommandLine(command).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void aPromptIsAnsweredOnceWithTheRouteOnStderr() {
        Run run = chat("", "--url", swarm.url(0), "--temperature", "0", "--prompt", TwoNodeDemoSwarm.QUESTION);
        assertEquals(0, run.status(), run.err());
        assertTrue(run.out().startsWith(TwoNodeDemoSwarm.GLOSS_START), run.out());
        String summary = run.err().strip();
        assertTrue(summary.startsWith("[route ") && summary.contains("[0-3]") && summary.contains("[4-7]")
                && summary.contains("(stop)") && summary.contains("ms"), summary);
    }

    @Test
    void eachStdinLineIsAChatMessageAnsweredInTurn() {
        Run run = chat("What is artificial intelligence?\n\nWhat is artificial intelligence?\n",
                "--url", swarm.url(1), "--temperature", "0", "--max-tokens", "48", "--chat-format");
        assertEquals(0, run.status(), run.err());
        String[] answers = run.out().split("\n");
        assertEquals(2, answers.length, run.out());
        for (String answer : answers) {
            assertTrue(answer.startsWith(TwoNodeDemoSwarm.GLOSS_START), run.out());
        }
        // The chat API carries no route; the command reads it from the swarm's pipeline state.
        assertEquals(2, run.err().lines().filter(line -> line.startsWith("[route ") && line.contains("[0-3]")
                && line.contains("[4-7]") && line.contains("(stop)")).count(), run.err());
    }

    @Test
    void aRefusalOrAnUnreachableNodeIsOneErrorLineAndStatusOne() {
        Run refused = chat("", "--url", swarm.url(0), "--temperature", "-1", "--prompt", "Hello");
        assertEquals(1, refused.status());
        assertTrue(refused.err().startsWith("error: the node answered 400") && refused.err().contains("temperature"),
                refused.err());
        int closedPort = TestClusters.freePorts(1).getFirst();
        Run unreachable = chat("Hello\n", "--url", "http://127.0.0.1:" + closedPort);
        assertEquals(1, unreachable.status());
        assertTrue(unreachable.err().contains("cannot reach the node at http://127.0.0.1:" + closedPort),
                unreachable.err());
    }

    @Test
    void aUrlWithoutSchemeIsTheNodesHttpAddressAndABadOneSaysWhatToWrite() {
        String hostPort = swarm.url(1).replaceFirst("^http://", "").replaceFirst("/$", "");
        Run run = chat("", "--url", hostPort, "--temperature", "0", "--max-tokens", "8", "--prompt",
                TwoNodeDemoSwarm.QUESTION);
        assertEquals(0, run.status(), run.err());
        assertTrue(run.out().startsWith(TwoNodeDemoSwarm.GLOSS_START), run.out());
        Run bad = chat("", "--url", "ftp://127.0.0.1:8080", "--prompt", "Hi");
        assertEquals(2, bad.status());
        assertTrue(bad.err().contains("http://HOST:PORT"), bad.err());
    }

    @Test
    void rawSendsThePromptAsItIsAndTheSummaryNamesTheSeed() {
        Run raw = chat("", "--url", swarm.url(0), "--raw", "--temperature", "0", "--max-tokens", "48", "--prompt",
                TwoNodeDemoSwarm.QUESTION_PROMPT);
        assertEquals(0, raw.status(), raw.err());
        assertTrue(raw.out().startsWith(TwoNodeDemoSwarm.GLOSS_START), raw.out());
        Run sampled = chat("", "--url", swarm.url(0), "--temperature", "0.8", "--max-tokens", "4", "--prompt", "Hi");
        assertEquals(0, sampled.status(), sampled.err());
        assertTrue(sampled.err().matches("(?s).*, seed \\d+ \\|.*"), sampled.err());
        Run both = chat("", "--url", swarm.url(0), "--raw", "--system", "Be brief.", "--prompt", "Hi");
        assertEquals(2, both.status());
    }
}
