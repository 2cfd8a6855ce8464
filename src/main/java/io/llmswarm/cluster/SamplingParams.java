package io.llmswarm.cluster;

import io.llmswarm.sampling.SamplingConfig;

/**
 * What the final shard needs to choose a token: the sampler settings (seeded, so the same request
 * gives the same tokens), whether end-of-generation tokens are masked (llama.cpp's ignore_eos),
 * and how many top log-probabilities to return (0 for none).
 */
public record SamplingParams(SamplingConfig config, boolean ignoreEos, int topLogprobs) {

    public SamplingParams {
        if (topLogprobs < 0 || topLogprobs > 20) {
            throw new IllegalArgumentException("top_logprobs must be within 0-20; got " + topLogprobs);
        }
    }

    public static SamplingParams greedy() {
        return new SamplingParams(SamplingConfig.greedy(), false, 0);
    }
}
