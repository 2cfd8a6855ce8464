package io.llmswarm.inference;

/**
 * The tokens generated for a request, why generation ended, and its timings: time to first token
 * (prompt processing plus the first sample) and the time spent on the tokens after the first.
 */
public record GenerationResult(int[] promptTokens, int[] tokens, FinishReason finishReason,
                               long timeToFirstTokenNanos, long decodeNanos) {

    /** Prompt tokens per second over the time to the first token. */
    public double promptTokensPerSecond() {
        return timeToFirstTokenNanos == 0 ? 0 : promptTokens.length / (timeToFirstTokenNanos / 1e9);
    }

    /** Tokens per second over the tokens after the first. */
    public double decodeTokensPerSecond() {
        return tokens.length < 2 || decodeNanos == 0 ? 0 : (tokens.length - 1) / (decodeNanos / 1e9);
    }
}
