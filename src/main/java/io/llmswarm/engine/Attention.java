package io.llmswarm.engine;

import io.llmswarm.engine.tensor.VectorWidth;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal grouped-query attention over a session's KV cache, with llama.cpp's rounding: the query
 * is rounded to half precision before the dot products with the (F16) keys, the softmax runs in
 * float with a double sum, and the probabilities are rounded to half precision before they weight
 * the (F16) values.
 *
 * <p>The query heads that share a KV head are computed together: each block of
 * {@link KvCache#BLOCK} cached positions is widened from half to float once
 * ({@link Float#float16ToFloat}, which C2 turns into vector conversions) and then read by every
 * head of the group.
 *
 * <p>Every sum has one order, whatever the vector width and whether the code is compiled or not
 * ({@code reduceLanes} adds the lanes in another order once C2 compiles it, and the order differs
 * between widths). A query-key dot product of {@code headDim} terms is summed as 16 partial sums,
 * partial {@code l} taking terms {@code l, l + 16, …} by fused multiply-adds, then the partials
 * in turn from 0 to 15, then the last {@code headDim % 16} terms one by one, unfused: the order in
 * which the float cache's 16-lane dot product summed (on AVX-512, before C2 compiled it). Here it
 * runs for a block of positions at once, a position a lane, so nothing is summed across lanes. A
 * value dimension sums its weighted values position after position by fused multiply-adds
 * (unfused for the last {@code headDim % 16} dimensions), as before.
 */
final class Attention {

    /**
     * The engine's float vector (the machine's, 4, 8 or 16 lanes; see {@code VectorWidth}), so that
     * a block of {@link #BLOCK} positions is 4, 2 or 1 vectors.
     */
    private static final VectorSpecies<Float> F = VectorWidth.floats();
    private static final int L = F.length();
    /** Partial sums of a dot product: the lanes of the widest vector the float cache had. */
    private static final int PARTIALS = 16;
    private static final int BLOCK = KvCache.BLOCK;

    private final ModelConfig config;
    private final float scale;
    private final ThreadLocal<float[]> scratch = ThreadLocal.withInitial(() -> new float[0]);

    Attention(ModelConfig config) {
        this.config = config;
        this.scale = (float) (1.0 / Math.sqrt(config.headDim()));
    }

    /**
     * Computes the attention output of query heads {@code [firstHead, firstHead + heads)}, which
     * must share one KV head, for query {@code q} row {@code token}, attending to cache positions
     * {@code 0..position}; written to {@code out} where those heads are in {@code q}.
     */
    void attend(KvCache cache, int layerIndex, float[] q, float[] out, int token, int firstHead, int heads,
                int position) {
        int headDim = config.headDim();
        int kvHead = firstHead / config.groupSize();
        if ((firstHead + heads - 1) / config.groupSize() != kvHead) {
            throw new IllegalArgumentException("heads " + firstHead + "-" + (firstHead + heads - 1)
                    + " do not share a KV head (groups of " + config.groupSize() + ")");
        }
        int count = position + 1;
        int blocks = (count + BLOCK - 1) / BLOCK;
        int stride = blocks * BLOCK;
        // Scratch: the rounded queries, one block of keys and of values as floats, the scores of each head.
        int queries = 0;
        int keyBlock = heads * headDim;
        int valueBlock = keyBlock + headDim * BLOCK;
        int scores = valueBlock + BLOCK * headDim;
        float[] buffer = buffer(scores + heads * stride);
        int qOffset = token * config.queryDim() + firstHead * headDim;
        for (int i = 0; i < heads * headDim; i++) {
            buffer[queries + i] = TransformerOps.toHalf(q[qOffset + i]);
        }

        short[] keys = cache.keys(layerIndex);
        for (int b = 0; b < blocks; b++) {
            widen(keys, KvCache.keyIndex(cache.kvDim(), b * BLOCK, kvHead * headDim), buffer, keyBlock, headDim * BLOCK);
            for (int h = 0; h < heads; h++) {
                scores(buffer, queries + h * headDim, keyBlock, buffer, scores + h * stride + b * BLOCK);
            }
        }
        for (int h = 0; h < heads; h++) {
            softmax(buffer, scores + h * stride, count);
            Arrays.fill(out, qOffset + h * headDim, qOffset + (h + 1) * headDim, 0f);
        }

        short[] values = cache.values(layerIndex);
        int kvDim = cache.kvDim();
        for (int b = 0; b < blocks; b++) {
            int rows = Math.min(BLOCK, count - b * BLOCK);
            for (int r = 0; r < rows; r++) {
                widen(values, (b * BLOCK + r) * kvDim + kvHead * headDim, buffer, valueBlock + r * headDim, headDim);
            }
            for (int h = 0; h < heads; h++) {
                addWeighted(buffer, valueBlock, rows, scores + h * stride + b * BLOCK, out, qOffset + h * headDim);
            }
        }
    }

    /** This thread's scratch, grown (doubling) to at least {@code size} floats as sessions grow. */
    private float[] buffer(int size) {
        float[] buffer = scratch.get();
        if (buffer.length < size) {
            buffer = new float[Math.max(size, 2 * buffer.length)];
            scratch.set(buffer);
        }
        return buffer;
    }

    /** Halves to floats; C2 compiles this loop to vector conversions (exact, infinities and NaNs too). */
    private static void widen(short[] halves, int from, float[] to, int toOffset, int n) {
        for (int i = 0; i < n; i++) {
            to[toOffset + i] = Float.float16ToFloat(halves[from + i]);
        }
    }

    /**
     * The dot products of the query at {@code query} with the {@link #BLOCK} keys at {@code keys}
     * (a block as floats: a dimension after another, the positions side by side), times the
     * scale, to {@code out}. The positions go in {@code BLOCK / L} vectors (at most 4), so that
     * each element of the query is broadcast once.
     */
    private void scores(float[] buffer, int query, int keys, float[] out, int outOffset) {
        int headDim = config.headDim();
        int full = headDim / PARTIALS * PARTIALS;
        FloatVector sum0 = FloatVector.zero(F);
        FloatVector sum1 = sum0;
        FloatVector sum2 = sum0;
        FloatVector sum3 = sum0;
        for (int l = 0; l < PARTIALS; l++) {
            FloatVector partial0 = FloatVector.zero(F);
            FloatVector partial1 = partial0;
            FloatVector partial2 = partial0;
            FloatVector partial3 = partial0;
            for (int d = l; d < full; d += PARTIALS) {
                FloatVector q = FloatVector.broadcast(F, buffer[query + d]);
                int k = keys + d * BLOCK;
                partial0 = q.fma(FloatVector.fromArray(F, buffer, k), partial0);
                if (L <= BLOCK / 2) {
                    partial1 = q.fma(FloatVector.fromArray(F, buffer, k + L), partial1);
                }
                if (L <= BLOCK / 4) {
                    partial2 = q.fma(FloatVector.fromArray(F, buffer, k + 2 * L), partial2);
                    partial3 = q.fma(FloatVector.fromArray(F, buffer, k + 3 * L), partial3);
                }
            }
            sum0 = sum0.add(partial0);
            sum1 = sum1.add(partial1);
            sum2 = sum2.add(partial2);
            sum3 = sum3.add(partial3);
        }
        for (int d = full; d < headDim; d++) {
            FloatVector q = FloatVector.broadcast(F, buffer[query + d]);
            int k = keys + d * BLOCK;
            sum0 = sum0.add(q.mul(FloatVector.fromArray(F, buffer, k)));
            if (L <= BLOCK / 2) {
                sum1 = sum1.add(q.mul(FloatVector.fromArray(F, buffer, k + L)));
            }
            if (L <= BLOCK / 4) {
                sum2 = sum2.add(q.mul(FloatVector.fromArray(F, buffer, k + 2 * L)));
                sum3 = sum3.add(q.mul(FloatVector.fromArray(F, buffer, k + 3 * L)));
            }
        }
        sum0.mul(scale).intoArray(out, outOffset);
        if (L <= BLOCK / 2) {
            sum1.mul(scale).intoArray(out, outOffset + L);
        }
        if (L <= BLOCK / 4) {
            sum2.mul(scale).intoArray(out, outOffset + 2 * L);
            sum3.mul(scale).intoArray(out, outOffset + 3 * L);
        }
    }

    /** Scores at {@code from} to probabilities rounded to half precision, in place. */
    private static void softmax(float[] buffer, int from, int count) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < count; j++) {
            max = Math.max(max, buffer[from + j]);
        }
        double sum = 0;
        for (int j = 0; j < count; j++) {
            float e = (float) Math.exp(buffer[from + j] - max);
            buffer[from + j] = e;
            sum += e;
        }
        float inverse = (float) (1.0 / sum);
        for (int j = 0; j < count; j++) {
            buffer[from + j] = TransformerOps.toHalf(buffer[from + j] * inverse);
        }
    }

    /**
     * out[d] += p[r] * value[r][d] for the {@code rows} values (as floats, a row every
     * {@code headDim}) at {@code values}, position after position; a probability of 0 is skipped.
     */
    private void addWeighted(float[] buffer, int values, int rows, int probabilities, float[] out, int outOffset) {
        int headDim = config.headDim();
        int full = headDim / PARTIALS * PARTIALS;
        int d = 0;
        for (; d + 4 * L <= full; d += 4 * L) {
            FloatVector acc0 = FloatVector.fromArray(F, out, outOffset + d);
            FloatVector acc1 = FloatVector.fromArray(F, out, outOffset + d + L);
            FloatVector acc2 = FloatVector.fromArray(F, out, outOffset + d + 2 * L);
            FloatVector acc3 = FloatVector.fromArray(F, out, outOffset + d + 3 * L);
            for (int r = 0; r < rows; r++) {
                float p = buffer[probabilities + r];
                if (p != 0f) {
                    FloatVector pv = FloatVector.broadcast(F, p);
                    int v = values + r * headDim + d;
                    acc0 = FloatVector.fromArray(F, buffer, v).fma(pv, acc0);
                    acc1 = FloatVector.fromArray(F, buffer, v + L).fma(pv, acc1);
                    acc2 = FloatVector.fromArray(F, buffer, v + 2 * L).fma(pv, acc2);
                    acc3 = FloatVector.fromArray(F, buffer, v + 3 * L).fma(pv, acc3);
                }
            }
            acc0.intoArray(out, outOffset + d);
            acc1.intoArray(out, outOffset + d + L);
            acc2.intoArray(out, outOffset + d + 2 * L);
            acc3.intoArray(out, outOffset + d + 3 * L);
        }
        for (; d < full; d += L) {
            FloatVector acc = FloatVector.fromArray(F, out, outOffset + d);
            for (int r = 0; r < rows; r++) {
                float p = buffer[probabilities + r];
                if (p != 0f) {
                    acc = FloatVector.fromArray(F, buffer, values + r * headDim + d).fma(FloatVector.broadcast(F, p), acc);
                }
            }
            acc.intoArray(out, outOffset + d);
        }
        for (; d < headDim; d++) {
            float sum = out[outOffset + d];
            for (int r = 0; r < rows; r++) {
                float p = buffer[probabilities + r];
                if (p != 0f) {
                    sum += p * buffer[values + r * headDim + d];
                }
            }
            out[outOffset + d] = sum;
        }
    }
}
