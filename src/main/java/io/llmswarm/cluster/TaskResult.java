package io.llmswarm.cluster;

import io.llmswarm.sampling.TokenLogprob;

import java.util.List;

/** What a shard returns for a step: hidden states for the next shard, or the sampled token. */
public sealed interface TaskResult {

    /** The same result over arrays and lists of its own (what local delivery hands a consumer). */
    TaskResult copy();

    /** Hidden states {@code [rows, width]} of the step's tokens after this shard's layers. */
    record Hidden(float[] states, int rows, int width) implements TaskResult {
        public Hidden {
            if ((long) rows * width != states.length) {
                throw new IllegalArgumentException("hidden states of shape [" + rows + ", " + width + "] need "
                        + (long) rows * width + " floats; got " + states.length);
            }
        }

        @Override
        public Hidden copy() {
            return new Hidden(states.clone(), rows, width);
        }
    }

    /**
     * The token the final shard sampled, its log-probability under the raw logits, the most likely
     * alternatives when they were asked for (empty otherwise), and how many random draws the
     * session's sampler has taken (so a replay elsewhere can continue its seeded sequence).
     */
    record Sampled(int token, float logprob, List<TokenLogprob> topLogprobs, long draws) implements TaskResult {

        /** A token from a sampler that draws nothing (greedy), or where the count does not matter. */
        public Sampled(int token, float logprob, List<TokenLogprob> topLogprobs) {
            this(token, logprob, topLogprobs, 0);
        }

        @Override
        public Sampled copy() {
            return new Sampled(token, logprob, List.copyOf(topLogprobs), draws);
        }
    }
}
