package io.llmswarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** The command line's rough edges (issue 14): help text, usage names, tokenize's default model, --log-level. */
class CliHelpTest {

    private static final List<String> COMMANDS = List.of("node", "demo", "generate", "chat", "tokenize", "make-model", "bench");

    private static String help(CommandLine command) {
        return command.getUsageMessage(CommandLine.Help.Ansi.OFF);
    }

    @Test
    void helpBreaksLinesBetweenWordsOnly() {
        CommandLine cli = HelpLayout.apply(new CommandLine(new Cli()));
        for (String name : COMMANDS) {
            CommandLine command = cli.getSubcommands().get(name);
            String help = help(command);
            String flowing = help.replaceAll("\\s+", " ");
            for (OptionSpec option : command.getCommandSpec().options()) {
                String description = String.join(" ", option.description()).strip().replaceAll("\\s+", " ");
                assertTrue(flowing.contains(description), name + " " + option.longestName() + ": '" + description
                        + "' broken inside a word in:\n" + help);
            }
            for (String line : help.lines().toList()) {
                if (!line.startsWith("Usage:") && !line.startsWith("  ") && !line.startsWith(" ")) {
                    continue;
                }
                assertTrue(line.length() <= HelpLayout.WIDTH || !line.strip().contains(" ")
                        || line.startsWith(" ".repeat(20)), name + ": a line past the width: " + line);
            }
        }
    }

    @Test
    void theCommandListBreaksBetweenWordsToo() {
        CommandLine cli = HelpLayout.apply(new CommandLine(new Cli()));
        String flowing = help(cli).replaceAll("\\s+", " ");
        for (CommandLine sub : cli.getSubcommands().values()) {
            String description = String.join(" ", sub.getCommandSpec().usageMessage().description()).replaceAll("\\s+", " ");
            assertTrue(flowing.contains(description), description + " in:\n" + help(cli));
        }
    }

    @Test
    void usageNamesTheCommandAsTyped() {
        CommandLine cli = HelpLayout.apply(new CommandLine(new Cli()));
        String node = help(cli.getSubcommands().get("node"));
        assertTrue(node.startsWith("Usage: java -jar node.jar -cluster --model FILE"), node);
        assertFalse(node.contains("node node"), node);
        assertTrue(help(cli.getSubcommands().get("generate")).startsWith("Usage: java -jar node.jar generate "));
    }

    @Test
    void wrapKeepsLongWordsWhole() {
        String wrapped = HelpLayout.wrap("through java-llama.cpp with llama.cpp in node.jar " + "word ".repeat(30), 4, 8);
        for (String line : wrapped.lines().toList()) {
            assertTrue(line.length() <= HelpLayout.WIDTH, line);
        }
        assertTrue(wrapped.replaceAll("\\s+", " ").contains("through java-llama.cpp with llama.cpp in node.jar"), wrapped);
    }

    @Test
    void tokenizeDefaultsToTheDemoModelAsGenerateDoes() {
        PrintStream stdout = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            status = Cli.run("tokenize", "--text", "What is a dog?");
        } finally {
            System.setOut(stdout);
        }
        assertEquals(0, status);
        assertTrue(out.toString(StandardCharsets.UTF_8).strip().matches("\\[1(,\\d+)+]"), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void logLevelIsAcceptedAnywhereAndAnUnknownOneIsRefused() {
        assertEquals(0, Cli.run("tokenize", "--text", "Hi", "--log-level", "warn"));
        assertEquals(ch.qos.logback.classic.Level.WARN,
                ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).getLevel());
        assertEquals(0, Cli.run("--log-level", "info", "tokenize", "--text", "Hi"));
        assertEquals(ch.qos.logback.classic.Level.INFO,
                ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).getLevel());
        assertEquals(2, Cli.run("tokenize", "--text", "Hi", "--log-level", "loud"));
    }
}
