/**
 * Choosing the next token from logits, as llama.cpp's default sampler chain does: repetition
 * penalty over the last N tokens, top-k, top-p, min-p, temperature, then a draw from
 * {@code std::mt19937} through {@code std::discrete_distribution}'s arithmetic, so that a seed
 * gives llama.cpp's tokens on equal logits. {@link io.llmswarm.sampling.TokenSampler#create}
 * builds a sampler from a {@link io.llmswarm.sampling.SamplingConfig}; temperature 0 is argmax
 * (ties to the lowest id). A sampler reuses its buffers, so sampling a token allocates nothing;
 * one sampler per session. {@link io.llmswarm.sampling.TopLogprobs} gives the OpenAI API's
 * log-probabilities.
 */
package io.llmswarm.sampling;
