package io.llmswarm.sampling;

/**
 * Chooses the next token from a step's logits. An instance keeps its random state and buffers,
 * so each session owns one; it never modifies the logits it is given.
 */
public interface TokenSampler {

    /**
     * @param logits    the output head's logits; only the first {@code vocabSize} are read
     * @param vocabSize the number of tokens in the vocabulary
     * @param history   the session's recent tokens for the repetition penalty, or null for none
     * @return the chosen token id
     */
    int sample(float[] logits, int vocabSize, TokenHistory history);

    /** Random draws this sampler took so far: with the seed, where its sequence stands. */
    default long draws() {
        return 0;
    }

    /**
     * Goes on from where another sampler with the same seed stood after {@code count} draws: a
     * session replayed on a new last shard samples on as the lost one would have.
     */
    default void skipDraws(long count) {
    }

    /** The sampler the config describes: greedy at temperature 0, the filter chain otherwise. */
    static TokenSampler create(SamplingConfig config) {
        return config.isGreedy() ? new GreedySampler(config) : new FilterChainSampler(config);
    }
}
