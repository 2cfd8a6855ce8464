package io.llmswarm.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where a node setting comes from when its flag is not given: picocli asks this provider for each
 * option of {@link NodeCommand} the command line left out, and it answers from the environment
 * ({@code LLMSWARM_} and the setting's name upper-cased: {@code LLMSWARM_CLUSTER_NAME}), else from
 * the JSON config file ({@code --config FILE}, else {@code conf/node.json} if present; keys are the
 * names: {@code "cluster_name"}), else not at all (the option's own default). So precedence is
 * flags, then the environment, then the file, and a setting is declared once, as its option: a
 * setting's name is its long option without the dashes, {@code -} as {@code _}
 * ({@code --step-timeout} is {@code step_timeout}). The option's converter parses the text,
 * wherever it came from ({@link Units}).
 */
public final class NodeConfig implements IDefaultValueProvider {

    public static final Path DEFAULT_FILE = Path.of("conf", "node.json");

    private final Map<String, String> env;
    private Map<String, String> file;
    /** A config file that cannot be used: reported by {@link #check} (one clear line), not mid-parse. */
    private RuntimeException problem;

    /** The process's own environment: what picocli uses for {@code node -cluster}. */
    public NodeConfig() {
        this(System.getenv());
    }

    public NodeConfig(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    /**
     * The settings of {@code node} with these arguments in this environment ({@code -cluster} may lead).
     *
     * @throws IllegalArgumentException naming the setting whose value is wrong, or what is wrong with the file
     */
    public static NodeSettings parse(Map<String, String> env, String... args) {
        NodeCommand command = new NodeCommand();
        CommandLine commandLine = new CommandLine(command).setDefaultValueProvider(new NodeConfig(env));
        try {
            commandLine.parseArgs(args);
        } catch (ParameterException e) {
            if (e.getCause() instanceof TypeConversionException conversion && e.getArgSpec() instanceof OptionSpec option) {
                throw new IllegalArgumentException(key(option) + " " + conversion.getMessage(), e);
            }
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return command.settings();
    }

    /**
     * {@link #parse} with the flags given by setting name ({@code "cluster_port" -> "5800"}, as
     * {@code --cluster-port=5800}) and {@code file} as {@code --config} (null: {@code conf/node.json} if present).
     */
    public static NodeSettings resolve(Path file, Map<String, String> env, Map<String, String> flags) {
        List<String> args = new ArrayList<>();
        if (file != null) {
            args.add("--config=" + file);
        }
        flags.forEach((key, value) -> args.add("--" + key.replace('_', '-') + "=" + value));
        return parse(env, args.toArray(String[]::new));
    }

    /** The setting's name: its longest option name without the dashes, {@code -} as {@code _}. */
    static String key(OptionSpec option) {
        return option.longestName().replaceFirst("^-+", "").replace('-', '_');
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option) || option.longestName().equals(NodeCommand.CONFIG_OPTION)
                || option.longestName().equals("-cluster") || option.usageHelp() || option.versionHelp()) {
            return null;
        }
        String key = key(option);
        String value = env.get("LLMSWARM_" + key.toUpperCase(Locale.ROOT));
        if (value != null && !value.isBlank()) {
            return value;
        }
        return file(option.command()).get(key);
    }

    /** Throws what was wrong with the config file, if anything was. */
    void check() {
        if (problem != null) {
            throw problem;
        }
    }

    private Map<String, String> file(CommandSpec command) {
        if (file == null) {
            file = Map.of();
            try {
                file = readFile(command);
            } catch (RuntimeException e) {
                problem = e;
            }
        }
        return file;
    }

    private static Map<String, String> readFile(CommandSpec command) {
        Path given = command.findOption(NodeCommand.CONFIG_OPTION).getValue();
        Path path = given != null ? given : DEFAULT_FILE;
        if (given == null && !Files.exists(path)) {
            return Map.of();
        }
        JsonObject json;
        try {
            json = new JsonObject(Files.readString(path));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read node settings " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(path + " is not a JSON object of node settings: " + e.getMessage(), e);
        }
        List<String> known = command.options().stream().filter(o -> !o.usageHelp() && !o.versionHelp()
                && !o.longestName().equals(NodeCommand.CONFIG_OPTION) && o.longestName().startsWith("--"))
                .map(NodeConfig::key).toList();
        Map<String, String> values = new HashMap<>();
        for (String key : json.fieldNames()) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException(path + ": unknown setting '" + key + "'; known: " + known);
            }
            values.put(key, String.valueOf(json.getValue(key)));
        }
        return values;
    }

    /** Parses sizes such as {@code 512m}, {@code 8g}, {@code 1073741824}. */
    public static long parseBytes(String text) {
        try {
            return Units.parseBytes(text);
        } catch (TypeConversionException e) {
            throw new IllegalArgumentException("a size " + e.getMessage(), e);
        }
    }
}
