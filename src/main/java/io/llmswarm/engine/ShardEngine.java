package io.llmswarm.engine;

import io.llmswarm.engine.tensor.KernelWarmUp;
import io.llmswarm.engine.tensor.MatMul;
import io.llmswarm.engine.tensor.WeightMatrix;

import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.IntStream;

/**
 * Runs a shard's range of layers: {@link #forward} takes token ids (when the range starts the
 * model) or hidden states, pushes them through the layers using and filling the session's KV cache,
 * and returns hidden states, or logits when the range ends the model. Prompts are processed many
 * tokens at a time, in chunks of {@code maxBatch}. Forward passes run one at a time on the kernel
 * pool; sessions may interleave between them.
 */
public final class ShardEngine implements AutoCloseable {

    /** Engine settings: kernel threads, tokens per chunk, and the KV cache budget in bytes. */
    public record Options(int threads, int maxBatch, long kvCacheBytes) {
        /**
         * Prompt tokens per chunk: each chunk converts every weight to floats once and streams it
         * from memory once, so longer chunks cost less per token (a 256-token prompt, 2 threads:
         * 59-76 tok/s in chunks of 64, 101-113 in one of 256). About 60 KiB of scratch per token.
         */
        public static final int DEFAULT_MAX_BATCH = 256;

        public Options {
            if (threads < 1 || maxBatch < 1) {
                throw new IllegalArgumentException("threads and maxBatch must be at least 1");
            }
        }

        public static Options defaults() {
            return new Options(Runtime.getRuntime().availableProcessors(), DEFAULT_MAX_BATCH, 2L << 30);
        }

        public Options withThreads(int n) {
            return new Options(n, maxBatch, kvCacheBytes);
        }
    }

    private final ModelShard shard;
    private final ModelConfig config;
    private final Options options;
    private final MatMul matMul;
    private final KvCacheBudget budget;
    private final Attention attention;
    private final Rope rope;
    private final ActivationEncoder encoder;
    private final ReentrantLock lock = new ReentrantLock();

    private final float[] x;
    private final float[] normed;
    private final float[] query;
    private final float[] key;
    private final float[] value;
    private final float[] attended;
    private final float[] projected;
    private final float[] gate;
    private final float[] up;

    public ShardEngine(ModelShard shard, Options options) {
        this.shard = shard;
        this.config = shard.config();
        this.options = options;
        this.matMul = new MatMul(options.threads());
        this.budget = new KvCacheBudget(options.kvCacheBytes());
        this.attention = new Attention(config);
        this.rope = new Rope(config, shard.ropeFactors());
        this.encoder = new ActivationEncoder(options.maxBatch());
        int n = options.maxBatch();
        this.x = new float[n * config.embeddingLength()];
        this.normed = new float[n * config.embeddingLength()];
        this.query = new float[n * config.queryDim()];
        this.key = new float[n * config.kvDim()];
        this.value = new float[n * config.kvDim()];
        this.attended = new float[n * config.queryDim()];
        this.projected = new float[n * config.embeddingLength()];
        this.gate = new float[n * config.feedForwardLength()];
        this.up = new float[n * config.feedForwardLength()];
    }

    public ModelShard shard() {
        return shard;
    }

    public ModelConfig config() {
        return config;
    }

    public KvCacheBudget kvCacheBudget() {
        return budget;
    }

    /**
     * Gets the kernels of this shard's weight types compiled on small matrices, then runs a short
     * prompt and one decode step on a throw-away session, so that the first real request runs
     * compiled code (llama.cpp likewise runs a warm-up decode when it loads a model).
     */
    public void warmUp() {
        KernelWarmUp.warmUp(shard.matrixKinds());
        int n = Math.min(8, options.maxBatch());
        // Its own budget: the warm-up must work however small the node's KV budget is.
        KvCacheBudget scratchBudget = new KvCacheBudget(Long.MAX_VALUE);
        try (Session session = new Session("warm-up", new KvCache(shard.range().size(), config.kvDim(),
                config.contextLength(), scratchBudget))) {
            for (int[] positions : new int[][] {IntStream.range(0, n).toArray(), {n}}) {
                ShardInput input;
                if (shard.hasEmbedding()) {
                    input = new ShardInput.Tokens(new int[positions.length]);
                } else {
                    float[] states = new float[positions.length * config.embeddingLength()];
                    java.util.Arrays.fill(states, 0.01f);
                    input = new ShardInput.Hidden(states, positions.length, config.embeddingLength());
                }
                forward(session, positions, input, false);
            }
        }
    }

    /** Opens a session with an empty KV cache for this shard's layers. */
    public Session openSession(String id) {
        return new Session(id, new KvCache(shard.range().size(), config.kvDim(), config.contextLength(), budget));
    }

    /**
     * Runs the shard's layers on {@code input} at {@code positions} (consecutive, starting at most
     * at the session's length; starting earlier rewinds the session). Returns hidden states for
     * every token, or logits — of the last token only unless {@code allLogits}.
     */
    public ForwardResult forward(Session session, int[] positions, ShardInput input, boolean allLogits) {
        return forward(session, positions, input, allLogits, shard.range());
    }

    /**
     * As {@link #forward(Session, int[], ShardInput, boolean)}, over a sub-span of the shard's
     * layers: a route may use a node for only part of what it holds. The span decides the ends:
     * token ids in when it starts at layer 0, logits out when it ends the model. A session should
     * keep one span: the KV cache of layers it skips is not filled.
     */
    public ForwardResult forward(Session session, int[] positions, ShardInput input, boolean allLogits,
                                 LayerRange span) {
        if (span.first() < shard.range().first() || span.last() > shard.range().last()) {
            throw new IllegalArgumentException("layers " + span + " are not all held here: this shard holds "
                    + shard.range());
        }
        int n = checkInput(positions, input, span);
        lock.lock();
        try {
            KvCache cache = session.cache();
            cache.prepare(positions[0], n);
            int embd = config.embeddingLength();
            boolean logits = span.endsModel(config.blockCount());
            int outRows = logits ? (allLogits ? n : 1) : n;
            int width = logits ? config.vocabularySize() : embd;
            float[] out = new float[outRows * width];
            for (int start = 0; start < n; start += options.maxBatch()) {
                int count = Math.min(options.maxBatch(), n - start);
                load(input, start, count);
                for (int layer = span.first(); layer <= span.last(); layer++) {
                    block(cache, layer, positions[0] + start, count);
                }
                cache.advanceTo(positions[0] + start + count);
                if (!logits) {
                    System.arraycopy(x, 0, out, start * embd, count * embd);
                } else if (allLogits) {
                    head(0, count, out, start * width);
                } else if (start + count == n) {
                    head(count - 1, 1, out, 0);
                }
            }
            return new ForwardResult(logits ? ForwardResult.Kind.LOGITS : ForwardResult.Kind.HIDDEN,
                    out, outRows, width);
        } finally {
            lock.unlock();
        }
    }

    private int checkInput(int[] positions, ShardInput input, LayerRange span) {
        int n = input.tokenCount();
        if (n == 0) {
            throw new IllegalArgumentException("a forward pass needs at least one token");
        }
        if (positions.length != n) {
            throw new IllegalArgumentException(n + " tokens need " + n + " positions; got " + positions.length);
        }
        for (int i = 1; i < n; i++) {
            if (positions[i] != positions[0] + i) {
                throw new IllegalArgumentException("positions must be consecutive; got " + positions[i - 1]
                        + " then " + positions[i]);
            }
        }
        switch (input) {
            case ShardInput.Tokens tokens -> {
                if (!span.startsModel()) {
                    throw new IllegalArgumentException("layers " + span
                            + " take hidden states, not token ids: only the shard holding layer 0 embeds tokens");
                }
                for (int id : tokens.ids()) {
                    if (id < 0 || id >= config.vocabularySize()) {
                        throw new IllegalArgumentException("token id " + id + " is outside the vocabulary 0-"
                                + (config.vocabularySize() - 1));
                    }
                }
            }
            case ShardInput.Hidden hidden -> {
                if (span.startsModel()) {
                    throw new IllegalArgumentException("layers " + span + " start the model and take token ids");
                }
                if (hidden.width() != config.embeddingLength()) {
                    throw new ShardInput.InvalidHiddenStatesException("hidden states " + hidden.width()
                            + " wide where the model's are " + config.embeddingLength());
                }
                for (float v : hidden.states()) {
                    if (!Float.isFinite(v)) {
                        throw new ShardInput.InvalidHiddenStatesException("hidden states containing " + v);
                    }
                }
            }
        }
        return n;
    }

    private void load(ShardInput input, int start, int count) {
        int embd = config.embeddingLength();
        switch (input) {
            case ShardInput.Tokens tokens -> {
                for (int t = 0; t < count; t++) {
                    shard.embedding().dequantizeRow(tokens.ids()[start + t], x, t * embd);
                }
            }
            case ShardInput.Hidden hidden -> System.arraycopy(hidden.states(), start * embd, x, 0, count * embd);
        }
    }

    private void block(KvCache cache, int layer, int firstPosition, int n) {
        LayerWeights w = shard.layer(layer);
        int layerIndex = layer - shard.range().first();
        int embd = config.embeddingLength();
        float eps = config.rmsEpsilon();

        for (int t = 0; t < n; t++) {
            TransformerOps.rmsNorm(normed, t * embd, x, t * embd, w.attentionNorm(), embd, eps);
        }
        encoder.set(normed, n, embd);
        multiplyShared(new WeightMatrix[] {w.query(), w.key(), w.value()}, new float[][] {query, key, value});
        if (w.queryBias() != null) {
            TransformerOps.addBias(query, w.queryBias(), n, config.queryDim());
        }
        if (w.keyBias() != null) {
            TransformerOps.addBias(key, w.keyBias(), n, config.kvDim());
        }
        if (w.valueBias() != null) {
            TransformerOps.addBias(value, w.valueBias(), n, config.kvDim());
        }
        for (int t = 0; t < n; t++) {
            rope.apply(query, t * config.queryDim(), config.headCount(), config.headDim(), firstPosition + t);
            rope.apply(key, t * config.kvDim(), config.headCountKv(), config.headDim(), firstPosition + t);
            cache.store(layerIndex, firstPosition + t, key, t * config.kvDim(), value, t * config.kvDim());
        }
        // A task computes the query heads of one token that share a KV head, or a part of them when
        // there would be fewer tasks than kernel threads.
        int group = config.groupSize();
        int parts = Math.min(group, Math.ceilDiv(matMul.threads(), n * config.headCountKv()));
        int perToken = config.headCountKv() * parts;
        matMul.parallelFor(n * perToken, (from, to) -> {
            for (int i = from; i < to; i++) {
                int t = i / perToken;
                int kvHead = i % perToken / parts;
                int part = i % parts;
                int first = kvHead * group + group * part / parts;
                int end = kvHead * group + group * (part + 1) / parts;
                attention.attend(cache, layerIndex, query, attended, t, first, end - first, firstPosition + t);
            }
        });
        encoder.set(attended, n, config.queryDim());
        matMul.multiply(w.attentionOutput(), encoder.forMatrix(w.attentionOutput()), projected);
        TransformerOps.add(x, 0, projected, 0, n * embd);

        for (int t = 0; t < n; t++) {
            TransformerOps.rmsNorm(normed, t * embd, x, t * embd, w.ffnNorm(), embd, eps);
        }
        encoder.set(normed, n, embd);
        multiplyShared(new WeightMatrix[] {w.ffnGate(), w.ffnUp()}, new float[][] {gate, up});
        TransformerOps.siluMultiply(gate, up, n * config.feedForwardLength());
        encoder.set(gate, n, config.feedForwardLength());
        matMul.multiply(w.ffnDown(), encoder.forMatrix(w.ffnDown()), projected);
        TransformerOps.add(x, 0, projected, 0, n * embd);
    }

    /** Final norm and output head for rows {@code [row, row + count)} of x, into out at an offset. */
    private void head(int row, int count, float[] out, int outOffset) {
        int embd = config.embeddingLength();
        for (int t = 0; t < count; t++) {
            TransformerOps.rmsNorm(normed, t * embd, x, (row + t) * embd, shard.outputNorm(), embd,
                    config.rmsEpsilon());
        }
        encoder.set(normed, count, embd);
        WeightMatrix output = shard.output();
        float[] logits = outOffset == 0 && out.length == count * output.rows() ? out : new float[count * output.rows()];
        matMul.multiply(output, encoder.forMatrix(output), logits);
        if (logits != out) {
            System.arraycopy(logits, 0, out, outOffset, logits.length);
        }
    }

    /** Multiplies matrices that share the encoded input in one dispatch when their formats agree. */
    private void multiplyShared(WeightMatrix[] matrices, float[][] outs) {
        boolean sameFormat = true;
        for (WeightMatrix m : matrices) {
            sameFormat &= m.activationFormat() == matrices[0].activationFormat();
        }
        if (sameFormat) {
            matMul.multiply(matrices, encoder.forMatrix(matrices[0]), outs);
        } else {
            for (int i = 0; i < matrices.length; i++) {
                matMul.multiply(matrices[i], encoder.forMatrix(matrices[i]), outs[i]);
            }
        }
    }

    @Override
    public void close() {
        matMul.close();
        shard.close();
    }
}
