package io.llmswarm.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code node} command line: one subcommand per job. */
@Command(name = "node", mixinStandardHelpOptions = true, version = "LLM Swarm 0.1.0",
        description = "A node of LLM Swarm: serves a large language model alone or with other nodes.",
        subcommands = {CommandLine.HelpCommand.class})
public final class Cli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static int run(String... args) {
        return new CommandLine(new Cli()).execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
