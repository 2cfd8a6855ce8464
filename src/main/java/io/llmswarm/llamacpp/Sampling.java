package io.llmswarm.llamacpp;

import io.llmswarm.sampling.SamplingConfig;

/**
 * How llama.cpp picks each next token.
 *
 * @param maxTokens the most tokens to generate
 * @param temperature 0 for greedy (argmax), otherwise the softmax temperature
 * @param topK keep the k most likely tokens (0 keeps all)
 * @param topP keep the smallest set whose probability reaches p (1 keeps all)
 * @param minP drop tokens less likely than minP times the most likely (0 keeps all)
 * @param seed the sampler's seed, so a sampled run can be repeated
 * @param ignoreEos keep generating after the end-of-sequence token
 * @param repeatPenalty llama.cpp's repeat penalty (1 is off)
 * @param repeatLastN how many recent tokens the penalty looks at
 */
public record Sampling(int maxTokens, float temperature, int topK, float topP, float minP, int seed,
        boolean ignoreEos, float repeatPenalty, int repeatLastN) {

    public Sampling {
        if (maxTokens < 0) {
            throw new IllegalArgumentException("maxTokens must not be negative, was " + maxTokens);
        }
        if (temperature < 0) {
            throw new IllegalArgumentException("temperature must not be negative, was " + temperature);
        }
    }

    /** The same settings as the Java sampler's, so both backends mean the same by them. */
    public static Sampling of(SamplingConfig config, int maxTokens, boolean ignoreEos) {
        return new Sampling(maxTokens, config.temperature(), config.topK(), config.topP(), config.minP(),
                (int) config.seed(), ignoreEos, config.repetitionPenalty(), config.repetitionLastN());
    }

    /** Argmax at every step. */
    public static Sampling greedy(int maxTokens, boolean ignoreEos) {
        return new Sampling(maxTokens, 0f, 0, 1f, 0f, 0, ignoreEos, 1f, 64);
    }

    /** Plain temperature sampling over the whole vocabulary, seeded. */
    public static Sampling temperature(int maxTokens, float temperature, int seed) {
        return new Sampling(maxTokens, temperature, 0, 1f, 0f, seed, false, 1f, 64);
    }

    /** Whether the repeat penalty does anything. */
    public boolean penalizesRepetition() {
        return repeatPenalty != 1f && repeatLastN != 0;
    }
}
