package io.llmswarm.sampling;

/**
 * How the next token is chosen from the logits. The filters run in llama.cpp's default order:
 * repetition penalty, top-k, top-p, min-p, then temperature and a seeded draw.
 *
 * @param temperature       0 picks the most likely token (greedy); above 0 divides the logits
 * @param topK              keep the k most likely tokens; 0 keeps all
 * @param topP              keep the smallest set of most likely tokens whose probability sums to
 *                          at least this; 1 keeps all
 * @param minP              drop tokens less likely than this fraction of the most likely one; 0
 *                          keeps all
 * @param repetitionPenalty llama.cpp's repeat penalty over recent tokens; 1 is off
 * @param repetitionLastN   how many of the most recent tokens the penalty looks at; 0 is off
 * @param seed              seed of the random draw (its low 32 bits, as llama.cpp's seed); the same
 *                          seed gives the same tokens, and the same as llama.cpp's on equal logits
 */
public record SamplingConfig(float temperature, int topK, float topP, float minP,
                             float repetitionPenalty, int repetitionLastN, long seed) {

    public SamplingConfig {
        if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0; got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0 (0 keeps every token); got " + topK);
        }
        if (!(topP > 0f && topP <= 1f)) {
            throw new IllegalArgumentException("top_p must be in (0, 1] (1 keeps every token); got " + topP);
        }
        if (!(minP >= 0f && minP <= 1f)) {
            throw new IllegalArgumentException("min_p must be in [0, 1] (0 keeps every token); got " + minP);
        }
        if (!(repetitionPenalty > 0f) || Float.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException(
                    "repeat_penalty must be a finite number > 0 (1 is off); got " + repetitionPenalty);
        }
        if (repetitionLastN < 0) {
            throw new IllegalArgumentException(
                    "repeat_last_n must be >= 0 (0 is off); got " + repetitionLastN);
        }
    }

    /** Always the most likely token, no penalty. */
    public static SamplingConfig greedy() {
        return new SamplingConfig(0f, 0, 1f, 0f, 1f, 0, 0L);
    }

    /** llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no penalty. */
    public static SamplingConfig defaults(long seed) {
        return new SamplingConfig(0.8f, 40, 0.95f, 0.05f, 1f, 64, seed);
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }

    public boolean penalizesRepetition() {
        return repetitionPenalty != 1f && repetitionLastN > 0;
    }

    public SamplingConfig withTemperature(float value) {
        return new SamplingConfig(value, topK, topP, minP, repetitionPenalty, repetitionLastN, seed);
    }

    public SamplingConfig withTopK(int value) {
        return new SamplingConfig(temperature, value, topP, minP, repetitionPenalty, repetitionLastN, seed);
    }

    public SamplingConfig withTopP(float value) {
        return new SamplingConfig(temperature, topK, value, minP, repetitionPenalty, repetitionLastN, seed);
    }

    public SamplingConfig withMinP(float value) {
        return new SamplingConfig(temperature, topK, topP, value, repetitionPenalty, repetitionLastN, seed);
    }

    public SamplingConfig withRepetitionPenalty(float penalty, int lastN) {
        return new SamplingConfig(temperature, topK, topP, minP, penalty, lastN, seed);
    }

    public SamplingConfig withSeed(long value) {
        return new SamplingConfig(temperature, topK, topP, minP, repetitionPenalty, repetitionLastN, value);
    }
}
