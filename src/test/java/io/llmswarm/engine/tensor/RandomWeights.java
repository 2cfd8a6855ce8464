package io.llmswarm.engine.tensor;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/** Builds random but valid GGML blocks directly: random quants, sane fp16 scales. */
final class RandomWeights {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private RandomWeights() {
    }

    static MemorySegment matrix(Arena arena, GgmlType type, int rows, int cols, long seed) {
        Random random = new Random(seed);
        long bytes = rows * type.byteSize(cols);
        MemorySegment data = arena.allocate(bytes, 64);
        long blocks = bytes / type.typeSize();
        for (long b = 0; b < blocks; b++) {
            fillBlock(data, b * type.typeSize(), type, random);
        }
        return data;
    }

    static void fillBlock(MemorySegment data, long o, GgmlType type, Random random) {
        switch (type) {
            case F32 -> data.set(FLOAT_LE, o, gaussian(random));
            case F16 -> data.set(SHORT_LE, o, Float.floatToFloat16(gaussian(random)));
            case BF16 -> data.set(SHORT_LE, o, (short) (Float.floatToRawIntBits(gaussian(random)) >>> 16));
            default -> {
                for (int i = 0; i < type.typeSize(); i++) {
                    data.set(ValueLayout.JAVA_BYTE, o + i, (byte) random.nextInt(256));
                }
                switch (type) {
                    case Q8_0, Q4_0, Q5_0 -> putScale(data, o, random, 0.02f);
                    case Q4_1 -> {
                        putScale(data, o, random, 0.02f);
                        putScale(data, o + 2, random, 0.1f);
                    }
                    case Q4_K, Q5_K -> {
                        putScale(data, o, random, 0.002f);
                        putScale(data, o + 2, random, 0.005f);
                    }
                    case Q6_K -> putScale(data, o + 208, random, 0.002f);
                    default -> throw new IllegalArgumentException("no random blocks for " + type);
                }
            }
        }
    }

    private static void putScale(MemorySegment data, long o, Random random, float magnitude) {
        float scale = magnitude * (0.5f + random.nextFloat());
        data.set(SHORT_LE, o, Float.floatToFloat16(random.nextBoolean() ? scale : -scale));
    }

    private static float gaussian(Random random) {
        return (float) random.nextGaussian();
    }

    static float[] activations(int rows, int cols, long seed) {
        Random random = new Random(seed);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    /** The activation values a batch encodes, as floats (quant times scale for Q8 formats). */
    static float[] decoded(ActivationBatch x) {
        float[] out = new float[x.rows() * x.cols()];
        int block = x.format().blockSize();
        for (int i = 0; i < out.length; i++) {
            out[i] = block == 1 ? x.values()[i] : x.values()[i] * x.scales()[i / block];
        }
        return out;
    }
}
