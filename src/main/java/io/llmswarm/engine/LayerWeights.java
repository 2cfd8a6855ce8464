package io.llmswarm.engine;

import io.llmswarm.engine.tensor.WeightMatrix;

/**
 * The weights of one transformer block. Norm weights and biases are small and copied to the heap;
 * matrices are packed for the kernels. Biases are {@code null} when the model has none.
 */
record LayerWeights(
        float[] attentionNorm,
        WeightMatrix query,
        WeightMatrix key,
        WeightMatrix value,
        float[] queryBias,
        float[] keyBias,
        float[] valueBias,
        WeightMatrix attentionOutput,
        float[] ffnNorm,
        WeightMatrix ffnGate,
        WeightMatrix ffnUp,
        WeightMatrix ffnDown) {

    /** Bytes of weights read for one token through this block. */
    long weightBytes() {
        long bytes = 0;
        for (WeightMatrix m : matrices()) {
            bytes += m.type().byteSize((long) m.rows() * m.cols());
        }
        return bytes;
    }

    WeightMatrix[] matrices() {
        return new WeightMatrix[] {query, key, value, attentionOutput, ffnGate, ffnUp, ffnDown};
    }
}
