package io.llmswarm.engine;

/**
 * Causal grouped-query attention over a session's KV cache, with llama.cpp's rounding: the query
 * is rounded to half precision before the dot products with the (F16) keys, the softmax runs in
 * float with a double sum, and the probabilities are rounded to half precision before they weight
 * the (F16) values.
 */
final class Attention {

    private final ModelConfig config;
    private final float scale;
    private final ThreadLocal<float[]> scratch;

    Attention(ModelConfig config) {
        this.config = config;
        this.scale = (float) (1.0 / Math.sqrt(config.headDim()));
        this.scratch = ThreadLocal.withInitial(() -> new float[config.headDim() + config.contextLength()]);
    }

    /**
     * Computes the attention output of one (token, head) pair: query {@code q} row {@code token},
     * attending to cache positions {@code 0..position}, written to {@code out}.
     */
    void attend(KvCache cache, int layerIndex, float[] q, float[] out, int token, int head, int position) {
        int headDim = config.headDim();
        int kvDim = config.kvDim();
        int kvHead = head / config.groupSize();
        float[] keys = cache.keys(layerIndex);
        float[] values = cache.values(layerIndex);
        float[] buffer = scratch.get();
        int qOffset = token * config.queryDim() + head * headDim;
        for (int d = 0; d < headDim; d++) {
            buffer[d] = TransformerOps.toHalf(q[qOffset + d]);
        }
        int scores = headDim;
        int count = position + 1;
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < count; j++) {
            float s = TransformerOps.dot(buffer, 0, keys, j * kvDim + kvHead * headDim, headDim) * scale;
            buffer[scores + j] = s;
            max = Math.max(max, s);
        }
        double sum = 0;
        for (int j = 0; j < count; j++) {
            float e = (float) Math.exp(buffer[scores + j] - max);
            buffer[scores + j] = e;
            sum += e;
        }
        float inverse = (float) (1.0 / sum);
        int outOffset = qOffset;
        java.util.Arrays.fill(out, outOffset, outOffset + headDim, 0f);
        for (int j = 0; j < count; j++) {
            float p = TransformerOps.toHalf(buffer[scores + j] * inverse);
            if (p != 0f) {
                TransformerOps.addScaled(out, outOffset, p, values, j * kvDim + kvHead * headDim, headDim);
            }
        }
    }
}
