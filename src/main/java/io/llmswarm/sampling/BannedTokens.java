package io.llmswarm.sampling;

import java.util.function.IntPredicate;
import java.util.stream.IntStream;

/**
 * Tokens that may never be sampled, as llama.cpp's {@code ignore_eos} does it: their logits are
 * set to minus infinity before sampling. The ids are found once, when the vocabulary is known.
 */
public final class BannedTokens {

    private final int[] ids;

    private BannedTokens(int[] ids) {
        this.ids = ids;
    }

    /** The ids below {@code vocabularySize} that {@code banned} accepts. */
    public static BannedTokens of(int vocabularySize, IntPredicate banned) {
        return new BannedTokens(IntStream.range(0, vocabularySize).filter(banned).toArray());
    }

    /** Sets the banned tokens' logits to minus infinity. */
    public void apply(float[] logits) {
        for (int id : ids) {
            logits[id] = Float.NEGATIVE_INFINITY;
        }
    }
}
