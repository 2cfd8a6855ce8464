package io.llmswarm.engine;

import io.llmswarm.engine.tensor.KernelWarmUp;
import io.llmswarm.engine.tensor.MatMul;
import io.llmswarm.engine.tensor.WeightMatrix;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.IntStream;

/**
 * Runs a shard's range of layers: {@link #forward} takes token ids (when the range starts the
 * model) or hidden states, pushes them through the layers using and filling the session's KV cache,
 * and returns hidden states, or logits when the range ends the model. {@link #forward(List)} does
 * that for the steps of several sessions at once, each weight read once for all their rows.
 * Rows go through in chunks of {@code maxBatch}. Forward passes run one at a time on the kernel
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

    /** The engine's settings. */
    public Options options() {
        return options;
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
                    Arrays.fill(states, 0.01f);
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
     * Opens a session whose KV cache starts with the first {@code positions} positions of
     * {@code source} (copied; the source stays as it is): it goes on from there exactly as if it had
     * computed them, since a position's keys and values depend only on the tokens up to it.
     */
    public Session openSession(String id, Session source, int positions) {
        Session session = openSession(id);
        try {
            session.cache().copyPrefix(source.cache(), positions);
            return session;
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
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
        return forward(List.of(new Step(session, positions, input, allLogits, span))).getFirst();
    }

    /**
     * One session's part of a batched forward pass: its tokens (or hidden states) at consecutive
     * positions starting at most at the session's length, over {@code span} of the shard's layers.
     */
    public record Step(Session session, int[] positions, ShardInput input, boolean allLogits, LayerRange span) {
        public Step {
            Objects.requireNonNull(session, "session");
            Objects.requireNonNull(positions, "positions");
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(span, "span");
        }
    }

    /**
     * Runs the steps of several sessions in one pass and returns their results in the same order.
     * The rows of all steps go through each matrix product together, so the weights are read once
     * for the whole batch; RoPE, the KV cache and attention are per row, against the row's own
     * session. A row's result does not depend on what it was batched with: it is bit for bit what
     * the step gives alone. Every step is checked before any runs; a session may appear once.
     * Steps over different spans run as separate passes.
     */
    public List<ForwardResult> forward(List<Step> steps) {
        if (steps.isEmpty()) {
            return List.of();
        }
        Set<Session> sessions = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Step step : steps) {
            LayerRange span = step.span();
            if (span.first() < shard.range().first() || span.last() > shard.range().last()) {
                throw new IllegalArgumentException("layers " + span + " are not all held here: this shard holds "
                        + shard.range());
            }
            checkInput(step.positions(), step.input(), span);
            if (!sessions.add(step.session())) {
                throw new IllegalArgumentException("session " + step.session().id() + " appears twice in one batch");
            }
        }
        ForwardResult[] results = new ForwardResult[steps.size()];
        lock.lock();
        try {
            for (Step step : steps) {
                step.session().cache().prepare(step.positions()[0], step.input().tokenCount());
            }
            Map<LayerRange, List<Integer>> bySpan = new LinkedHashMap<>();
            for (int i = 0; i < steps.size(); i++) {
                bySpan.computeIfAbsent(steps.get(i).span(), k -> new ArrayList<>()).add(i);
            }
            for (var entry : bySpan.entrySet()) {
                pass(entry.getKey(), entry.getValue().stream().map(steps::get).toList(), entry.getValue(), results);
            }
            return List.of(results);
        } finally {
            lock.unlock();
        }
    }

    /** One pass over {@code span} for steps (at {@code indexes} of the batch), in chunks of rows. */
    private void pass(LayerRange span, List<Step> steps, List<Integer> indexes, ForwardResult[] results) {
        int embd = config.embeddingLength();
        boolean logits = span.endsModel(config.blockCount());
        int width = logits ? config.vocabularySize() : embd;
        Rows rows = new Rows(steps);
        float[][] outs = new float[steps.size()][];
        for (int s = 0; s < steps.size(); s++) {
            int n = steps.get(s).input().tokenCount();
            outs[s] = new float[(logits ? (steps.get(s).allLogits() ? n : 1) : n) * width];
        }
        for (int start = 0; start < rows.count(); start += options.maxBatch()) {
            int count = Math.min(options.maxBatch(), rows.count() - start);
            rows.load(start, count);
            for (int layer = span.first(); layer <= span.last(); layer++) {
                block(rows, layer, count);
            }
            rows.advance(count);
            if (!logits) {
                for (int r = 0; r < count; r++) {
                    System.arraycopy(x, r * embd, outs[rows.step[start + r]], rows.index[start + r] * embd, embd);
                }
            } else {
                heads(rows, start, count, outs, width);
            }
        }
        for (int s = 0; s < steps.size(); s++) {
            results[indexes.get(s)] = new ForwardResult(logits ? ForwardResult.Kind.LOGITS : ForwardResult.Kind.HIDDEN,
                    outs[s], outs[s].length / width, width);
        }
    }

    /** The logits a chunk owes: every row of steps that want all, the last row of the others. */
    private void heads(Rows rows, int start, int count, float[][] outs, int width) {
        int embd = config.embeddingLength();
        int wanted = 0;
        int[] picked = new int[count];
        for (int r = 0; r < count; r++) {
            int row = start + r;
            Step step = rows.steps.get(rows.step[row]);
            if (step.allLogits() || rows.index[row] == step.input().tokenCount() - 1) {
                picked[wanted++] = r;
            }
        }
        if (wanted == 0) {
            return;
        }
        // The picked rows of x, moved together to the front (in order, so a row never overwrites
        // one still to move).
        for (int i = 0; i < wanted; i++) {
            if (picked[i] != i) {
                System.arraycopy(x, picked[i] * embd, x, i * embd, embd);
            }
        }
        float[] logits = new float[wanted * width];
        head(0, wanted, logits, 0);
        for (int i = 0; i < wanted; i++) {
            int row = start + picked[i];
            Step step = rows.steps.get(rows.step[row]);
            int at = step.allLogits() ? rows.index[row] : 0;
            System.arraycopy(logits, i * width, outs[rows.step[row]], at * width, width);
        }
    }

    /** The rows of a batch: for each, its step, its index within the step, its session's cache and position. */
    private final class Rows {
        final List<Step> steps;
        final int[] step;
        final int[] index;
        final KvCache[] cache;
        final int[] position;
        private int loaded;

        Rows(List<Step> steps) {
            this.steps = steps;
            int total = steps.stream().mapToInt(s -> s.input().tokenCount()).sum();
            step = new int[total];
            index = new int[total];
            cache = new KvCache[total];
            position = new int[total];
            int r = 0;
            for (int s = 0; s < steps.size(); s++) {
                Step st = steps.get(s);
                for (int i = 0; i < st.input().tokenCount(); i++, r++) {
                    step[r] = s;
                    index[r] = i;
                    cache[r] = st.session().cache();
                    position[r] = st.positions()[i];
                }
            }
        }

        int count() {
            return step.length;
        }

        /** Rows {@code [start, start + n)} into x; the chunk's row {@code r} is batch row {@code first + r}. */
        void load(int start, int n) {
            int embd = config.embeddingLength();
            loaded = start;
            for (int r = 0; r < n; r++) {
                int row = start + r;
                switch (steps.get(step[row]).input()) {
                    case ShardInput.Tokens tokens -> shard.embedding().dequantizeRow(tokens.ids()[index[row]], x, r * embd);
                    case ShardInput.Hidden hidden -> System.arraycopy(hidden.states(), index[row] * embd, x, r * embd, embd);
                }
            }
        }

        /** The first batch row of the chunk in x. */
        int first() {
            return loaded;
        }

        /** Marks the chunk's positions as filled in each session's cache. */
        void advance(int n) {
            for (int r = 0; r < n; r++) {
                int row = loaded + r;
                cache[row].advanceTo(position[row] + 1);
            }
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

    private void block(Rows rows, int layer, int n) {
        int first = rows.first();
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
            int position = rows.position[first + t];
            rope.apply(query, t * config.queryDim(), config.headCount(), config.headDim(), position);
            rope.apply(key, t * config.kvDim(), config.headCountKv(), config.headDim(), position);
            rows.cache[first + t].store(layerIndex, position, key, t * config.kvDim(), value, t * config.kvDim());
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
                int head = kvHead * group + group * part / parts;
                int end = kvHead * group + group * (part + 1) / parts;
                attention.attend(rows.cache[first + t], layerIndex, query, attended, t, head, end - head,
                        rows.position[first + t]);
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
