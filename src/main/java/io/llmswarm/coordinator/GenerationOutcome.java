package io.llmswarm.coordinator;

import io.llmswarm.inference.FinishReason;

import java.util.List;

/**
 * A finished generation: the request id, prompt tokens, generated tokens (with text pieces and
 * log-probabilities), the whole text, why it ended, the route it took, timings per hop, and the
 * sampling seed it used (so a client can run it again), and how many leading prompt tokens the
 * shards took from their prompt caches instead of computing them.
 */
public record GenerationOutcome(String requestId, int[] promptTokens, List<GeneratedToken> tokens, String text,
                                FinishReason finishReason, String route, Timings timings, long seed,
                                int promptTokensReused) {

    /** Total time, time to the first token, and each hop's share. */
    public record Timings(long totalNanos, long timeToFirstTokenNanos, List<ShardTiming> shards) {
    }

    public int[] tokenIds() {
        return tokens.stream().mapToInt(GeneratedToken::id).toArray();
    }

    /** Tokens per second over the tokens after the first. */
    public double decodeTokensPerSecond() {
        long decode = timings.totalNanos() - timings.timeToFirstTokenNanos();
        return tokens.size() < 2 || decode <= 0 ? 0 : (tokens.size() - 1) / (decode / 1e9);
    }
}
