package io.llmswarm.inference;

import io.llmswarm.sampling.SamplingConfig;

/** A prompt already tokenized, and how to continue it. */
public record GenerationRequest(int[] promptTokens, int maxTokens, SamplingConfig sampling, boolean ignoreEos) {

    public GenerationRequest {
        if (promptTokens.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: it needs at least one token");
        }
        if (maxTokens < 0) {
            throw new IllegalArgumentException("max_tokens must be >= 0; got " + maxTokens);
        }
    }
}
