package io.llmswarm.sampling;

import java.util.SplittableRandom;

/**
 * Draws one candidate with probability softmax(score / temperature) using a seeded generator,
 * so the same seed and the same logits give the same tokens.
 */
public final class CategoricalDraw {

    private final float temperature;
    private final SplittableRandom random;

    public CategoricalDraw(float temperature, long seed) {
        if (!(temperature > 0f)) {
            throw new IllegalArgumentException("a random draw needs a temperature > 0, got " + temperature);
        }
        this.temperature = temperature;
        this.random = new SplittableRandom(seed);
    }

    public int draw(Candidates candidates) {
        int size = candidates.size();
        int[] ids = candidates.ids();
        if (size == 1) {
            return ids[0];
        }
        float[] scores = candidates.scores();
        float[] weights = candidates.weights();
        float max = candidates.maxScore();
        double sum = 0;
        for (int i = 0; i < size; i++) {
            float weight = (float) Math.exp((scores[ids[i]] - max) / temperature);
            weights[i] = weight;
            sum += weight;
        }
        double target = random.nextDouble() * sum;
        double cumulative = 0;
        for (int i = 0; i < size; i++) {
            cumulative += weights[i];
            if (target < cumulative) {
                return ids[i];
            }
        }
        // Rounding can leave the target a hair above the last sum: take the last token with weight.
        for (int i = size - 1; i > 0; i--) {
            if (weights[i] > 0f) {
                return ids[i];
            }
        }
        return ids[0];
    }
}
