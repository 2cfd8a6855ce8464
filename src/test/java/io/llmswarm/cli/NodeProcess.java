package io.llmswarm.cli;

import picocli.CommandLine;

/** Test entry point of a node process, standing in for {@code Main -cluster} until the root command routes to {@link NodeCommand}. */
public final class NodeProcess {

    private NodeProcess() {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new NodeCommand()).execute(args));
    }
}
