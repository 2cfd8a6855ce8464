package io.llmswarm.coordinator;

import io.llmswarm.cluster.SamplingParams;

import java.util.List;

/**
 * A generation request as the coordinator takes it: the prompt as text (tokenized here, with BOS
 * where the vocabulary wants it) or as token ids, or both when an entry point has tokenized the
 * text already ({@link #withPromptTokens}: the ids are the text's, so pipelines use them and a
 * llama.cpp replica the text), at most {@code maxTokens} new tokens, how to sample them, and
 * strings that end the generation when they appear in the text.
 */
public record GenerateRequest(String prompt, int[] promptTokens, int maxTokens, SamplingParams sampling,
                              List<String> stopStrings) {

    public GenerateRequest {
        if (prompt == null && promptTokens == null) {
            throw new IllegalArgumentException("a request needs a prompt text or prompt tokens");
        }
        if (promptTokens != null && promptTokens.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: it needs at least one token");
        }
        if (maxTokens < 0) {
            throw new IllegalArgumentException("max_tokens must be >= 0; got " + maxTokens);
        }
        stopStrings = List.copyOf(stopStrings);
        for (String stop : stopStrings) {
            if (stop.isEmpty()) {
                throw new IllegalArgumentException("a stop string cannot be empty");
            }
        }
    }

    public static GenerateRequest text(String prompt, int maxTokens, SamplingParams sampling) {
        return new GenerateRequest(prompt, null, maxTokens, sampling, List.of());
    }

    public static GenerateRequest tokens(int[] promptTokens, int maxTokens, SamplingParams sampling) {
        return new GenerateRequest(null, promptTokens, maxTokens, sampling, List.of());
    }

    /** This text request with the ids its prompt tokenizes to (with BOS and special tokens, as the coordinator would). */
    public GenerateRequest withPromptTokens(int[] tokens) {
        if (prompt == null) {
            throw new IllegalStateException("prompt tokens go beside a prompt text; this request has none");
        }
        return new GenerateRequest(prompt, tokens, maxTokens, sampling, stopStrings);
    }

    public GenerateRequest withStopStrings(List<String> stops) {
        return new GenerateRequest(prompt, promptTokens, maxTokens, sampling, stops);
    }
}
