package io.llmswarm.engine;

import java.util.Arrays;

/**
 * Keys and values of one session for the layers of one shard. Values are stored rounded to
 * half precision, as llama.cpp's default F16 cache holds them, so attention sees the same numbers;
 * they are kept as floats so the attention loops vectorise. The cache grows in steps and every
 * step is reserved from a shared {@link KvCacheBudget}; {@link #release()} returns it all.
 */
public final class KvCache {

    private static final int GROWTH_STEP = 64;

    private final int layers;
    private final int kvDim;
    private final int maxPositions;
    private final KvCacheBudget budget;
    private final float[][] keys;
    private final float[][] values;
    private int capacity;
    private int length;
    private boolean released;

    KvCache(int layers, int kvDim, int maxPositions, KvCacheBudget budget) {
        this.layers = layers;
        this.kvDim = kvDim;
        this.maxPositions = maxPositions;
        this.budget = budget;
        this.keys = new float[layers][];
        this.values = new float[layers][];
        Arrays.fill(keys, new float[0]);
        Arrays.fill(values, new float[0]);
    }

    /** Positions filled so far: the next token goes at this position. */
    public int length() {
        return length;
    }

    public int maxPositions() {
        return maxPositions;
    }

    /** Bytes this cache holds now. */
    public long bytes() {
        return bytesFor(capacity);
    }

    private long bytesFor(int positions) {
        return 2L * layers * positions * kvDim * Float.BYTES;
    }

    /**
     * Makes room for positions {@code [start, start + count)}. A start below the current length
     * rewinds the cache (the tokens from there on are replaced).
     */
    void prepare(int start, int count) {
        if (released) {
            throw new IllegalStateException("this session's KV cache has been freed");
        }
        if (start > length) {
            throw new IllegalArgumentException("position " + start + " skips ahead: the cache holds positions 0-"
                    + (length - 1) + ", so the next one is " + length);
        }
        int needed = start + count;
        if (needed > maxPositions) {
            throw new ContextFullException(maxPositions, needed);
        }
        if (needed > capacity) {
            int wanted = Math.max(needed, capacity + GROWTH_STEP);
            int newCapacity = Math.min(maxPositions, (wanted + GROWTH_STEP - 1) / GROWTH_STEP * GROWTH_STEP);
            budget.reserve(bytesFor(newCapacity) - bytesFor(capacity));
            for (int l = 0; l < layers; l++) {
                keys[l] = Arrays.copyOf(keys[l], newCapacity * kvDim);
                values[l] = Arrays.copyOf(values[l], newCapacity * kvDim);
            }
            capacity = newCapacity;
        }
        length = start;
    }

    /** Marks positions up to {@code end} (exclusive) as filled. */
    void advanceTo(int end) {
        length = end;
    }

    /** Stores one position's key and value for a layer (index within the shard), rounding to F16. */
    void store(int layerIndex, int position, float[] key, int keyOffset, float[] value, int valueOffset) {
        float[] k = keys[layerIndex];
        float[] v = values[layerIndex];
        int base = position * kvDim;
        for (int i = 0; i < kvDim; i++) {
            k[base + i] = Float.float16ToFloat(Float.floatToFloat16(key[keyOffset + i]));
            v[base + i] = Float.float16ToFloat(Float.floatToFloat16(value[valueOffset + i]));
        }
    }

    float[] keys(int layerIndex) {
        return keys[layerIndex];
    }

    float[] values(int layerIndex) {
        return values[layerIndex];
    }

    int kvDim() {
        return kvDim;
    }

    /** Frees the cache and returns its memory to the budget; later use fails. Idempotent. */
    public void release() {
        if (!released) {
            released = true;
            budget.release(bytesFor(capacity));
            Arrays.fill(keys, null);
            Arrays.fill(values, null);
            capacity = 0;
            length = 0;
        }
    }

    /** Thrown when a session would pass the model's context length. */
    public static final class ContextFullException extends RuntimeException {
        public ContextFullException(int maxPositions, int needed) {
            super("context full: the session would need " + needed + " positions but the context holds "
                    + maxPositions);
        }
    }
}
