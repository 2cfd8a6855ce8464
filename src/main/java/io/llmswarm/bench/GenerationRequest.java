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

    /** The options of {@code generate} that ask for this run. */
    public List<String> generateArguments() {
        List<String> arguments = new ArrayList<>(List.of(
                "--model", model.toString(), "--prompt", prompt, "--max-tokens", Integer.toString(maxTokens),
                "--temperature", "0", "--ignore-eos", "--threads", Integer.toString(threads), "--json"));
        return arguments;
    }
}
