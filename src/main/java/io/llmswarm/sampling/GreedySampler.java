package io.llmswarm.sampling;

/**
 * Temperature 0: the most likely token after the repetition penalty, ties to the lowest id.
 * Without a penalty it reads the logits directly and copies nothing.
 */
final class GreedySampler implements TokenSampler {

    private final RepetitionPenalty penalty;
    private final boolean penalizes;
    private float[] work = new float[0];

    GreedySampler(SamplingConfig config) {
        this.penalty = new RepetitionPenalty(config.repetitionPenalty(), config.repetitionLastN());
        this.penalizes = config.penalizesRepetition();
    }

    @Override
    public int sample(float[] logits, int vocabSize, TokenHistory history) {
        if (!penalizes || history == null || history.size() == 0) {
            return Argmax.of(logits, vocabSize);
        }
        if (vocabSize < 1 || vocabSize > logits.length) {
            throw new IllegalArgumentException(
                    "vocabulary size must be in [1, " + logits.length + "] (the logits length), got " + vocabSize);
        }
        if (work.length < vocabSize) {
            work = new float[vocabSize];
        }
        System.arraycopy(logits, 0, work, 0, vocabSize);
        penalty.apply(work, vocabSize, history);
        return Argmax.of(work, vocabSize);
    }
}
