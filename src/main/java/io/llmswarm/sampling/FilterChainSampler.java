package io.llmswarm.sampling;

/**
 * llama.cpp's default chain: repetition penalty, top-k, top-p, min-p, then a draw at the
 * configured temperature.
 */
final class FilterChainSampler implements TokenSampler {

    private final SamplingConfig config;
    private final RepetitionPenalty penalty;
    private final CategoricalDraw draw;
    private final Candidates candidates = new Candidates();

    FilterChainSampler(SamplingConfig config) {
        this.config = config;
        this.penalty = new RepetitionPenalty(config.repetitionPenalty(), config.repetitionLastN());
        this.draw = new CategoricalDraw(config.temperature(), config.seed());
    }

    @Override
    public int sample(float[] logits, int vocabSize, TokenHistory history) {
        candidates.load(logits, vocabSize);
        penalty.apply(candidates.scores(), vocabSize, history);
        CandidateFilters.topK(candidates, config.topK());
        CandidateFilters.topP(candidates, config.topP());
        CandidateFilters.minP(candidates, config.minP());
        return draw.draw(candidates);
    }

    @Override
    public long draws() {
        return draw.draws();
    }

    @Override
    public void skipDraws(long count) {
        draw.skipDraws(count);
    }
}
