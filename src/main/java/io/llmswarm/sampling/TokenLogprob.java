package io.llmswarm.sampling;

/** A token id and its log-probability under the softmax of the raw logits. */
public record TokenLogprob(int token, float logprob) {
}
