package io.llmswarm.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One benchmark generation: the arguments {@code generate} takes, greedy with EOS ignored so
 * every run produces exactly {@code maxTokens} tokens.
 */
public record GenerationRequest(Path model, String prompt, int maxTokens, int threads) {

    public GenerationRequest {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be >= 1, got " + maxTokens);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
    }

    /** The options of {@code generate} (and of {@link LlamaCppRunner#main}) that ask for this run. */
    public List<String> generateArguments() {
        List<String> arguments = new ArrayList<>(List.of(
                "--model", model.toString(), "--prompt", prompt, "--max-tokens", Integer.toString(maxTokens),
                "--temperature", "0", "--ignore-eos", "--threads", Integer.toString(threads), "--json"));
        return arguments;
    }

    /** Reads the options {@link #generateArguments()} writes; other flags are refused by name. */
    public static GenerationRequest parse(String[] args) {
        Path model = null;
        String prompt = null;
        int maxTokens = 0;
        int threads = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = Path.of(value(args, ++i));
                case "--prompt" -> prompt = value(args, ++i);
                case "--max-tokens" -> maxTokens = Integer.parseInt(value(args, ++i));
                case "--threads" -> threads = Integer.parseInt(value(args, ++i));
                case "--temperature" -> {
                    if (Float.parseFloat(value(args, ++i)) != 0f) {
                        throw new IllegalArgumentException("only --temperature 0 (greedy) is supported here");
                    }
                }
                case "--ignore-eos", "--json" -> {
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; expected --model F --prompt P --max-tokens N [--threads T]");
            }
        }
        if (model == null || prompt == null) {
            throw new IllegalArgumentException("--model and --prompt are required");
        }
        return new GenerationRequest(model, prompt, maxTokens, threads);
    }

    private static String value(String[] args, int index) {
        if (index >= args.length) {
            throw new IllegalArgumentException("option " + args[index - 1] + " needs a value");
        }
        return args[index];
    }
}
