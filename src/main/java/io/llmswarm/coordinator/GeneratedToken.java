package io.llmswarm.coordinator;

import io.llmswarm.sampling.TokenLogprob;

import java.util.List;

/**
 * One generated token as it streams: its index in the generation, id, the text it adds (may be
 * empty while a UTF-8 character is incomplete, cut short at a stop string), its log-probability and
 * the top alternatives when they were asked for.
 */
public record GeneratedToken(int index, int id, String text, float logprob, List<TokenLogprob> topLogprobs) {
}
