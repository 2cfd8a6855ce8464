package io.llmswarm.cli;

import io.llmswarm.bench.BenchCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code node} command line: one subcommand per job. */
@Command(name = "java -jar node.jar", mixinStandardHelpOptions = true, version = "LLM Swarm 0.1.0",
        description = "A node of LLM Swarm: serves a large language model alone or with other nodes.",
        subcommands = {NodeCommand.class, DemoCommand.class, GenerateCommand.class, ChatCommand.class, TokenizeCommand.class, MakeModelCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Cli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Inherited by every subcommand, so it may stand anywhere: {@code -cluster --model F --log-level debug}. */
    @CommandLine.Option(names = "--log-level", paramLabel = "LEVEL", scope = CommandLine.ScopeType.INHERIT,
            description = "Log level: " + Logging.LEVELS + " (default info; libraries stay at warn).")
    void logLevel(String level) {
        Logging.level(level);
    }

    public static int run(String... args) {
        Logging.init();
        // The documents' form `node.jar -cluster --model F --layers A-B` is the node subcommand.
        if (args.length > 0 && args[0].equals("-cluster")) {
            String[] withCommand = new String[args.length + 1];
            withCommand[0] = "node";
            System.arraycopy(args, 0, withCommand, 1, args.length);
            args = withCommand;
        }
        CommandLine commandLine = HelpLayout.apply(new CommandLine(new Cli()));
        // A user's mistake (bad file, bad option value) gets one clear line, not a stack trace.
        commandLine.setExecutionExceptionHandler((error, cmd, parsed) -> {
            cmd.getErr().println("error: " + message(error));
            if (Boolean.getBoolean("llmswarm.debug")) {
                error.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return commandLine.execute(args);
    }

    private static String message(Throwable error) {
        String message = error.getMessage();
        return message == null || message.isBlank() ? error.getClass().getSimpleName() : message;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
