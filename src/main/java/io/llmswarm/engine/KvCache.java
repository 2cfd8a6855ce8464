package io.llmswarm.engine;

import java.util.Arrays;

/**
 * Keys and values of one session for the layers of one shard, held as IEEE half-precision bits,
 * as llama.cpp's default F16 cache holds them (2 bytes a value), so attention sees the same
 * numbers. The cache grows in steps and every step is reserved from a shared
 * {@link KvCacheBudget}; {@link #release()} returns it all.
 *
 * <p>Values are stored a position after another ({@code position * kvDim + dim}). Keys are
 * stored in blocks of {@link #BLOCK} positions, each block dimension after dimension with the
 * block's positions side by side ({@link #keyIndex}), so that attention reads one dimension of
 * many positions as a vector and scores positions lane by lane, without summing across lanes.
 */
public final class KvCache {

    /** Positions side by side in a block of keys; a multiple of every vector's float lanes. */
    static final int BLOCK = 16;
    private static final int GROWTH_STEP = 64;

    private final int layers;
    private final int kvDim;
    private final int maxPositions;
    private final KvCacheBudget budget;
    private final short[][] keys;
    private final short[][] values;
    private int capacity;
    private int length;
    private boolean released;

    KvCache(int layers, int kvDim, int maxPositions, KvCacheBudget budget) {
        this.layers = layers;
        this.kvDim = kvDim;
        this.maxPositions = maxPositions;
        this.budget = budget;
        this.keys = new short[layers][];
        this.values = new short[layers][];
        Arrays.fill(keys, new short[0]);
        Arrays.fill(values, new short[0]);
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
        return bytesFor(layers, kvDim, capacity);
    }

    /**
     * Bytes of keys and values for {@code positions} positions of {@code layers} layers: F16, 2
     * a value, for whole blocks of {@link #BLOCK} positions.
     */
    public static long bytesFor(int layers, int kvDim, int positions) {
        long blocks = (positions + BLOCK - 1) / BLOCK;
        return 2L * layers * blocks * BLOCK * kvDim * Short.BYTES;
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
            // Whole blocks of keys, so the last block of a context that is not a multiple of it has room too.
            int limit = (maxPositions + BLOCK - 1) / BLOCK * BLOCK;
            int newCapacity = Math.min(limit, (wanted + GROWTH_STEP - 1) / GROWTH_STEP * GROWTH_STEP);
            budget.reserve(bytesFor(layers, kvDim, newCapacity) - bytes());
            for (int l = 0; l < layers; l++) {
                // Blocks of keys follow one another, so a longer array keeps them where they were.
                keys[l] = Arrays.copyOf(keys[l], newCapacity * kvDim);
                values[l] = Arrays.copyOf(values[l], newCapacity * kvDim);
            }
            capacity = newCapacity;
        }
        length = start;
    }

    /**
     * Fills this (empty) cache with the first {@code positions} positions of {@code source}, every
     * layer, the same F16 bits: a new session that starts with a prompt prefix another session
     * computed. The keys' last, partly used block keeps only the copied positions; the rest of it
     * stays zero, as in a cache that computed them itself.
     */
    void copyPrefix(KvCache source, int positions) {
        if (source.kvDim != kvDim || source.layers != layers) {
            throw new IllegalArgumentException("a KV cache of " + source.layers + " layers of " + source.kvDim
                    + " values cannot seed one of " + layers + " layers of " + kvDim);
        }
        if (length != 0) {
            throw new IllegalStateException("only an empty cache takes a prefix; this one holds " + length + " positions");
        }
        if (positions < 1 || positions > source.length) {
            throw new IllegalArgumentException("the source holds " + source.length + " positions; asked for " + positions);
        }
        prepare(0, positions);
        int wholeBlocks = positions / BLOCK;
        int rest = positions % BLOCK;
        for (int l = 0; l < layers; l++) {
            short[] fromKeys = source.keys[l];
            if (fromKeys.length == 0) {
                continue; // a layer the source's span skipped: nothing to copy
            }
            System.arraycopy(fromKeys, 0, keys[l], 0, wholeBlocks * BLOCK * kvDim);
            for (int dim = 0; rest > 0 && dim < kvDim; dim++) {
                int at = keyIndex(kvDim, wholeBlocks * BLOCK, dim);
                System.arraycopy(fromKeys, at, keys[l], at, rest);
            }
            System.arraycopy(source.values[l], 0, values[l], 0, positions * kvDim);
        }
        length = positions;
    }

    /** Marks positions up to {@code end} (exclusive) as filled. */
    void advanceTo(int end) {
        length = end;
    }

    /** Stores one position's key and value for a layer (index within the shard), rounding to F16. */
    void store(int layerIndex, int position, float[] key, int keyOffset, float[] value, int valueOffset) {
        short[] k = keys[layerIndex];
        short[] v = values[layerIndex];
        int keyBase = keyIndex(kvDim, position, 0);
        int valueBase = position * kvDim;
        for (int i = 0; i < kvDim; i++) {
            k[keyBase + i * BLOCK] = Float.floatToFloat16(key[keyOffset + i]);
            v[valueBase + i] = Float.floatToFloat16(value[valueOffset + i]);
        }
    }

    /** Where the key of {@code position}, dimension {@code dim} is in a layer's {@link #keys}. */
    static int keyIndex(int kvDim, int position, int dim) {
        return (position / BLOCK * kvDim + dim) * BLOCK + position % BLOCK;
    }

    /** A layer's keys as F16 bits, laid out as {@link #keyIndex} says. */
    short[] keys(int layerIndex) {
        return keys[layerIndex];
    }

    /** A layer's values as F16 bits, {@code position * kvDim + dim}. */
    short[] values(int layerIndex) {
        return values[layerIndex];
    }

    /** The stored key of a position and dimension, as a float. */
    float key(int layerIndex, int position, int dim) {
        return Float.float16ToFloat(keys[layerIndex][keyIndex(kvDim, position, dim)]);
    }

    /** The stored value of a position and dimension, as a float. */
    float value(int layerIndex, int position, int dim) {
        return Float.float16ToFloat(values[layerIndex][position * kvDim + dim]);
    }

    int kvDim() {
        return kvDim;
    }

    /** Frees the cache and returns its memory to the budget; later use fails. Idempotent. */
    public void release() {
        if (!released) {
            released = true;
            budget.release(bytes());
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
