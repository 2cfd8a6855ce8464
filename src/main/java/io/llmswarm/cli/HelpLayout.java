package io.llmswarm.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.UsageMessageSpec;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The help text laid out by words: picocli's own layout breaks lines inside names such as
 * "llama.cpp" or "node.jar"; here descriptions wrap only at spaces. The node command's usage reads
 * as it is typed ({@code java -jar node.jar -cluster ...}).
 */
final class HelpLayout {

    static final int WIDTH = 80;
    private static final int NAME_COLUMN = 30;

    private HelpLayout() {
    }

    static CommandLine apply(CommandLine commandLine) {
        commandLine.getHelpSectionMap().put(UsageMessageSpec.SECTION_KEY_OPTION_LIST, HelpLayout::options);
        commandLine.getHelpSectionMap().put(UsageMessageSpec.SECTION_KEY_COMMAND_LIST, HelpLayout::commands);
        commandLine.getHelpSectionMap().put(UsageMessageSpec.SECTION_KEY_DESCRIPTION,
                help -> wrap(String.join(" ", help.commandSpec().usageMessage().description()), 0, 0) );
        if (commandLine.getCommandName().equals("node") && commandLine.getParent() != null) {
            commandLine.getHelpSectionMap().put(UsageMessageSpec.SECTION_KEY_SYNOPSIS,
                    help -> help.synopsis(help.synopsisHeadingLength()).replaceFirst("node\\.jar node ", "node.jar -cluster "));
        }
        for (CommandLine sub : commandLine.getSubcommands().values()) {
            apply(sub);
        }
        return commandLine;
    }

    private static String commands(CommandLine.Help help) {
        StringBuilder out = new StringBuilder();
        for (var entry : help.subcommands().entrySet()) {
            String first = "  " + entry.getKey();
            String description = String.join(" ", entry.getValue().commandSpec().usageMessage().description());
            int column = 14;
            if (first.length() + 1 >= column) {
                out.append(first).append('\n').append(wrap(description, column, column));
            } else {
                out.append(first).append(" ".repeat(column - first.length())).append(wrap(description, 0, column));
            }
        }
        return out.toString();
    }

    private static String options(CommandLine.Help help) {
        List<OptionSpec> options = new ArrayList<>(help.commandSpec().options());
        options.removeIf(OptionSpec::hidden);
        options.sort(Comparator.comparing(o -> o.longestName().replaceFirst("^-+", "").toLowerCase(Locale.ROOT)));
        StringBuilder out = new StringBuilder();
        for (OptionSpec option : options) {
            String names = String.join(", ", option.names());
            if (option.arity().max() > 0) {
                names += "=" + option.paramLabel();
            }
            String description = String.join(" ", option.description());
            String first = "  " + names;
            if (first.length() + 1 >= NAME_COLUMN) {
                out.append(first).append('\n').append(wrap(description, NAME_COLUMN, NAME_COLUMN));
            } else {
                out.append(first).append(" ".repeat(NAME_COLUMN - first.length()))
                        .append(wrap(description, 0, NAME_COLUMN));
            }
        }
        return out.toString();
    }

    /**
     * {@code text} in lines of at most {@link #WIDTH} characters broken at spaces only (a word longer
     * than a line stays whole), the first line indented by {@code firstIndent}, the rest by {@code indent}.
     */
    static String wrap(String text, int firstIndent, int indent) {
        StringBuilder out = new StringBuilder(" ".repeat(firstIndent));
        int column = firstIndent == 0 && indent > 0 ? indent : firstIndent;
        int lineStart = column;
        for (String word : text.strip().split("\\s+")) {
            if (word.isEmpty()) {
                continue;
            }
            if (column > lineStart && column + 1 + word.length() > WIDTH) {
                out.append('\n').append(" ".repeat(indent));
                column = indent;
                lineStart = indent;
            } else if (column > lineStart) {
                out.append(' ');
                column++;
            }
            out.append(word);
            column += word.length();
        }
        return out.append('\n').toString();
    }
}
