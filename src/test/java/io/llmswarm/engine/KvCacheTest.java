package io.llmswarm.engine;

import org.junit.jupiter.api.Test;

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
        KvCacheBudget budget = new KvCacheBudget(2L * 2 * 64 * 16 * Float.BYTES);
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
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(0.1f)), cache.keys(0)[0]);
        assertEquals(1000.5f, cache.keys(0)[1]);
        assertEquals(3f, cache.values(0)[1]);
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
