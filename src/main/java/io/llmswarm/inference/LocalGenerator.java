package io.llmswarm.inference;

import io.llmswarm.engine.ForwardResult;
import io.llmswarm.engine.KvCache;
import io.llmswarm.engine.Session;
import io.llmswarm.engine.ShardEngine;
import io.llmswarm.engine.ShardInput;
import io.llmswarm.sampling.BannedTokens;
import io.llmswarm.sampling.SamplingConfig;
import io.llmswarm.sampling.TokenHistory;
import io.llmswarm.sampling.TokenSampler;

import java.util.Arrays;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

/**
 * The decode loop on one engine that holds every layer: the prompt in one pass, then one token at
 * a time, each through all layers, until end of generation, max tokens, a full context or the
 * listener says stop.
 */
public final class LocalGenerator {

    /** Hears each token as it is sampled; returns false to stop (stop string, cancel). */
    @FunctionalInterface
    public interface TokenListener {
        boolean onToken(int token);
    }

    private final ShardEngine engine;
    private final IntPredicate endOfGeneration;
    private final BannedTokens bannedWhenIgnoringEos;

    /** @param endOfGeneration which token ids end a generation (EOS, EOT) */
    public LocalGenerator(ShardEngine engine, IntPredicate endOfGeneration) {
        if (!engine.shard().hasEmbedding() || !engine.shard().hasOutput()) {
            throw new IllegalArgumentException("a local generator needs all layers; this engine holds "
                    + engine.shard().range());
        }
        this.engine = engine;
        this.endOfGeneration = endOfGeneration;
        this.bannedWhenIgnoringEos = BannedTokens.of(engine.config().vocabularySize(), endOfGeneration);
    }

    public GenerationResult generate(String sessionId, GenerationRequest request, TokenListener listener) {
        SamplingConfig sampling = request.sampling();
        TokenSampler sampler = TokenSampler.create(sampling);
        TokenHistory history = new TokenHistory(Math.max(1, sampling.repetitionLastN()));
        history.addAll(request.promptTokens());
        int vocab = engine.config().vocabularySize();
        int[] generated = new int[Math.max(1, request.maxTokens())];
        int count = 0;
        FinishReason reason = FinishReason.LENGTH;
        long start = System.nanoTime();
        long firstTokenAt = 0;
        try (Session session = engine.openSession(sessionId)) {
            int[] prompt = request.promptTokens();
            ShardInput input = new ShardInput.Tokens(prompt);
            int[] positions = IntStream.range(0, prompt.length).toArray();
            while (count < request.maxTokens()) {
                ForwardResult result;
                try {
                    result = engine.forward(session, positions, input, false);
                } catch (KvCache.ContextFullException e) {
                    reason = FinishReason.CONTEXT_FULL;
                    break;
                }
                float[] logits = result.data();
                if (request.ignoreEos()) {
                    bannedWhenIgnoringEos.apply(logits);
                }
                int token = sampler.sample(logits, vocab, history);
                if (count == 0) {
                    firstTokenAt = System.nanoTime();
                }
                if (endOfGeneration.test(token)) {
                    reason = FinishReason.STOP;
                    break;
                }
                generated[count++] = token;
                history.add(token);
                if (!listener.onToken(token)) {
                    reason = FinishReason.CANCELLED;
                    break;
                }
                if (session.length() >= engine.config().contextLength()) {
                    reason = count < request.maxTokens() ? FinishReason.CONTEXT_FULL : FinishReason.LENGTH;
                    break;
                }
                input = new ShardInput.Tokens(new int[] {token});
                positions = new int[] {session.length()};
            }
        }
        long end = System.nanoTime();
        long ttft = firstTokenAt == 0 ? end - start : firstTokenAt - start;
        return new GenerationResult(request.promptTokens(), Arrays.copyOf(generated, count), reason, ttft,
                firstTokenAt == 0 ? 0 : end - firstTokenAt);
    }
}
