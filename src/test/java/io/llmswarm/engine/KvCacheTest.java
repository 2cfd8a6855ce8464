package io.llmswarm.engine;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KvCacheTest {

    @Test
    void growsWithinTheBudgetAndReturnsItAllOnRelease() {
        KvCacheBudget budget = new KvCacheBudget(1 << 20);
        KvCache cache = new KvCache(2, 16, 512, budget);
        cache.prepare(0, 10);
        cache.advanceTo(10);
        assertEquals(10, cache.length());
        assertTrue(budget.usedBytes() >= 2L * 2 * 10 * 16 * Float.BYTES);
        assertEquals(cache.bytes(), budget.usedBytes());
        cache.release();
        assertEquals(0, budget.usedBytes());
        assertThrows(IllegalStateException.class, () -> cache.prepare(0, 1));
    }

    @Test
    void refusesToGrowPastTheBudgetWithoutLeakingReservations() {
        KvCacheBudget budget = new KvCacheBudget(2L * 2 * 64 * 16 * Short.BYTES);
        KvCache first = new KvCache(2, 16, 4096, budget);
        first.prepare(0, 64);
        KvCache second = new KvCache(2, 16, 4096, budget);
        var error = assertThrows(KvCacheBudget.BudgetExceededException.class, () -> second.prepare(0, 1));
        assertTrue(error.getMessage().contains("budget"), error.getMessage());
        first.release();
        second.prepare(0, 1);
        assertEquals(second.bytes(), budget.usedBytes());
    }

    @Test
    void storesValuesRoundedToHalfPrecision() {
        KvCache cache = new KvCache(1, 2, 8, new KvCacheBudget(1 << 20));
        cache.prepare(0, 1);
        cache.store(0, 0, new float[] {0.1f, 1000.3f}, 0, new float[] {-0.2f, 3f}, 0);
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(0.1f)), cache.key(0, 0, 0));
        assertEquals(1000.5f, cache.key(0, 0, 1));
        assertEquals(3f, cache.value(0, 0, 1));
    }

    @Test
    void holdsTwoBytesAValueHalfWhatFloatsTook() {
        KvCacheBudget budget = new KvCacheBudget(1 << 20);
        KvCache cache = new KvCache(3, 48, 1000, budget);
        cache.prepare(0, 1);
        long perPosition = 2L * 3 * 48 * Short.BYTES;
        assertEquals(64 * perPosition, cache.bytes(), "one growth step of 64 positions, keys and values, 2 bytes each");
        assertEquals(64 * 2L * 3 * 48 * Float.BYTES / 2, cache.bytes());
        cache.prepare(0, 130);
        assertEquals(192 * perPosition, cache.bytes());
        assertEquals(cache.bytes(), budget.usedBytes());
        assertEquals(KvCache.bytesFor(3, 48, 192), cache.bytes());
        cache.prepare(0, 1000);
        assertEquals(1008 * perPosition, cache.bytes(), "a context of 1000 ends in a whole block of 16 keys");
        assertEquals(cache.bytes(), budget.usedBytes());
        cache.release();
        assertEquals(0, budget.usedBytes());
    }

    @Test
    void aStoredValueReadsBackAsItsF16RoundingAcrossBlocksLayersAndGrowth() {
        int kvDim = 24;
        KvCache cache = new KvCache(2, kvDim, 200, new KvCacheBudget(1 << 20));
        SplittableRandom random = new SplittableRandom(5);
        float[][] keys = new float[2 * 150][kvDim];
        float[][] values = new float[2 * 150][kvDim];
        float[] specials = {0f, -0f, 1e-7f, -3e-5f, 65504f, 65520f, -1e6f, Float.POSITIVE_INFINITY, Float.NaN, 0.1f};
        for (int position = 0; position < 150; position++) {
            cache.prepare(position, 1);
            for (int layer = 0; layer < 2; layer++) {
                float[] k = keys[layer * 150 + position];
                float[] v = values[layer * 150 + position];
                for (int i = 0; i < kvDim; i++) {
                    k[i] = random.nextInt(4) == 0 ? specials[random.nextInt(specials.length)]
                            : (float) (random.nextGaussian() * Math.pow(10, random.nextInt(-3, 4)));
                    v[i] = (float) random.nextGaussian();
                }
                cache.store(layer, position, k, 0, v, 0);
            }
            cache.advanceTo(position + 1);
        }
        for (int layer = 0; layer < 2; layer++) {
            for (int position = 0; position < 150; position++) {
                for (int i = 0; i < kvDim; i++) {
                    float k = keys[layer * 150 + position][i];
                    float v = values[layer * 150 + position][i];
                    String where = "layer " + layer + " position " + position + " dim " + i;
                    assertEquals(Float.floatToRawIntBits(Float.float16ToFloat(Float.floatToFloat16(k))),
                            Float.floatToRawIntBits(cache.key(layer, position, i)), where + " key " + k);
                    assertEquals(Float.floatToRawIntBits(Float.float16ToFloat(Float.floatToFloat16(v))),
                            Float.floatToRawIntBits(cache.value(layer, position, i)), where + " value " + v);
                }
            }
        }
    }

    @Test
    void rewindsButNeverSkipsAheadOrPastTheContext() {
        KvCache cache = new KvCache(1, 4, 8, new KvCacheBudget(1 << 20));
        cache.prepare(0, 5);
        cache.advanceTo(5);
        cache.prepare(2, 1);
        assertEquals(2, cache.length());
        assertThrows(IllegalArgumentException.class, () -> cache.prepare(4, 1));
        var full = assertThrows(KvCache.ContextFullException.class, () -> cache.prepare(2, 7));
        assertTrue(full.getMessage().contains("context full"), full.getMessage());
    }
}
