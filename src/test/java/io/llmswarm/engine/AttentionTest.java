package io.llmswarm.engine;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Attention through the F16 cache against a plain scalar computation, bit for bit: keys and
 * values rounded to half, the query rounded to half, each score a dot product summed in 16
 * partial sums (partial {@code l} takes dimensions {@code l, l + 16, …} by fused multiply-adds;
 * then partials 0 to 15 in turn; then the last {@code headDim % 16} dimensions unfused) times
 * {@code 1/sqrt(headDim)}, a softmax in float with a double sum, probabilities rounded to half,
 * and each output dimension summed position after position (fused, unfused past the last whole
 * 16). The same at every vector width (run with {@code -XX:UseAVX=2} or
 * {@code -XX:MaxVectorSize=16}) and compiled or not.
 */
class AttentionTest {

    private static ModelConfig config(int heads, int kvHeads, int headDim, int context) {
        return new ModelConfig("llama", 1, heads * headDim, 4 * heads * headDim, heads, kvHeads, headDim, 100,
                context, 1e-5f, 10000f, 1f, headDim - headDim % 2, RopeStyle.NORMAL);
    }

    /** A cache of one layer filled with {@code positions} random keys and values; also kept as floats. */
    private record Filled(KvCache cache, float[][] keys, float[][] values) {
        static Filled random(ModelConfig config, int positions, long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            KvCache cache = new KvCache(1, config.kvDim(), config.contextLength(), new KvCacheBudget(1L << 30));
            float[][] keys = new float[positions][config.kvDim()];
            float[][] values = new float[positions][config.kvDim()];
            cache.prepare(0, positions);
            for (int p = 0; p < positions; p++) {
                for (int i = 0; i < config.kvDim(); i++) {
                    keys[p][i] = (float) (random.nextGaussian() * 4);
                    values[p][i] = (float) random.nextGaussian();
                }
                cache.store(0, p, keys[p], 0, values[p], 0);
            }
            cache.advanceTo(positions);
            return new Filled(cache, keys, values);
        }
    }

    @ParameterizedTest(name = "{0} heads, {1} KV heads, head size {2}, {3} positions")
    @CsvSource({
            "4, 4, 32, 1", "4, 4, 32, 16", "4, 4, 32, 17",
            "8, 2, 64, 100", "8, 1, 16, 33", "6, 2, 40, 45", "4, 2, 8, 20", "2, 1, 48, 200", "32, 4, 64, 130", "16, 2, 128, 600"})
    void equalsAScalarReferenceForEveryHeadAndPosition(int heads, int kvHeads, int headDim, int positions) {
        ModelConfig config = config(heads, kvHeads, headDim, 1024);
        Filled filled = Filled.random(config, positions, heads * 1000L + headDim + positions);
        int tokens = Math.min(3, positions);
        float[] q = randomQueries(config, tokens, positions);
        float[] out = new float[tokens * config.queryDim()];
        Attention attention = new Attention(config);
        for (int t = 0; t < tokens; t++) {
            int position = positions - tokens + t;
            for (int kv = 0; kv < kvHeads; kv++) {
                attention.attend(filled.cache(), 0, q, out, t, kv * config.groupSize(), config.groupSize(), position);
            }
            for (int head = 0; head < heads; head++) {
                float[] expected = reference(config, q, t, head, filled, position);
                for (int d = 0; d < headDim; d++) {
                    assertEquals(Float.floatToRawIntBits(expected[d]),
                            Float.floatToRawIntBits(out[t * config.queryDim() + head * headDim + d]),
                            "token " + t + " head " + head + " dim " + d + ": " + expected[d] + " vs "
                                    + out[t * config.queryDim() + head * headDim + d]);
                }
            }
        }
    }

    @Test
    void headsOfAGroupGiveTheSameResultsAloneOrTogether() {
        ModelConfig config = config(8, 2, 32, 128);
        Filled filled = Filled.random(config, 70, 3);
        float[] q = randomQueries(config, 1, 4);
        Attention attention = new Attention(config);
        float[] together = new float[config.queryDim()];
        attention.attend(filled.cache(), 0, q, together, 0, 0, 4, 69);
        attention.attend(filled.cache(), 0, q, together, 0, 4, 4, 69);
        float[] apart = new float[config.queryDim()];
        for (int[] part : new int[][] {{0, 1}, {1, 2}, {3, 1}, {4, 3}, {7, 1}}) {
            attention.attend(filled.cache(), 0, q, apart, 0, part[0], part[1], 69);
        }
        for (int i = 0; i < together.length; i++) {
            assertEquals(Float.floatToRawIntBits(together[i]), Float.floatToRawIntBits(apart[i]), "element " + i);
        }
        assertThrows(IllegalArgumentException.class, () -> attention.attend(filled.cache(), 0, q, apart, 0, 3, 2, 69),
                "heads 3 and 4 use different KV heads");
    }

    @Test
    void givesTheSameResultsBeforeAndAfterTheJitCompilesIt() {
        ModelConfig config = config(4, 1, 64, 128);
        Filled filled = Filled.random(config, 90, 9);
        float[] q = randomQueries(config, 1, 5);
        Attention attention = new Attention(config);
        float[] first = new float[config.queryDim()];
        attention.attend(filled.cache(), 0, q, first, 0, 0, 4, 89);
        float[] again = new float[config.queryDim()];
        for (int round = 0; round < 3000; round++) {
            attention.attend(filled.cache(), 0, q, again, 0, 0, 4, 89);
        }
        for (int head = 0; head < 4; head++) {
            float[] expected = reference(config, q, 0, head, filled, 89);
            for (int d = 0; d < 64; d++) {
                assertEquals(Float.floatToRawIntBits(expected[d]), Float.floatToRawIntBits(first[head * 64 + d]));
                assertEquals(Float.floatToRawIntBits(expected[d]), Float.floatToRawIntBits(again[head * 64 + d]));
            }
        }
    }

    private static float[] randomQueries(ModelConfig config, int tokens, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] q = new float[tokens * config.queryDim()];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) (random.nextGaussian() * 0.7);
        }
        return q;
    }

    private static float half(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    /** One head's attention output, scalar, from the keys and values as they were stored (floats). */
    private static float[] reference(ModelConfig config, float[] q, int token, int head, Filled filled, int position) {
        int headDim = config.headDim();
        int kvOffset = head / config.groupSize() * headDim;
        int full = headDim / 16 * 16;
        float[] query = new float[headDim];
        for (int d = 0; d < headDim; d++) {
            query[d] = half(q[token * config.queryDim() + head * headDim + d]);
        }
        float scale = (float) (1.0 / Math.sqrt(headDim));
        int count = position + 1;
        float[] scores = new float[count];
        for (int j = 0; j < count; j++) {
            float[] partials = new float[16];
            for (int d = 0; d < full; d++) {
                partials[d % 16] = Math.fma(query[d], half(filled.keys()[j][kvOffset + d]), partials[d % 16]);
            }
            float sum = 0f;
            for (float partial : partials) {
                sum += partial;
            }
            for (int d = full; d < headDim; d++) {
                sum += query[d] * half(filled.keys()[j][kvOffset + d]);
            }
            scores[j] = sum * scale;
        }
        float max = Float.NEGATIVE_INFINITY;
        for (float s : scores) {
            max = Math.max(max, s);
        }
        double total = 0;
        for (int j = 0; j < count; j++) {
            scores[j] = (float) Math.exp(scores[j] - max);
            total += scores[j];
        }
        float inverse = (float) (1.0 / total);
        float[] out = new float[headDim];
        for (int j = 0; j < count; j++) {
            float p = half(scores[j] * inverse);
            if (p == 0f) {
                continue;
            }
            for (int d = 0; d < headDim; d++) {
                float v = half(filled.values()[j][kvOffset + d]);
                out[d] = d < full ? Math.fma(v, p, out[d]) : out[d] + p * v;
            }
        }
        return out;
    }
}
