package io.llmswarm.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The 12 bytes of Q4_K / Q5_K sub-block scales: eight 6-bit scales and eight 6-bit mins, packed
 * as in ggml's {@code get_scale_min_k4}.
 */
final class KQuantScales {
    private KQuantScales() {
    }

    static int scale(MemorySegment data, long scales, int j) {
        if (j < 4) {
            return at(data, scales, j) & 63;
        }
        return (at(data, scales, j + 4) & 0x0F) | ((at(data, scales, j - 4) >>> 6) << 4);
    }

    static int min(MemorySegment data, long scales, int j) {
        if (j < 4) {
            return at(data, scales, j + 4) & 63;
        }
        return (at(data, scales, j + 4) >>> 4) | ((at(data, scales, j) >>> 6) << 4);
    }

    private static int at(MemorySegment data, long scales, int i) {
        return data.get(ValueLayout.JAVA_BYTE, scales + i) & 0xFF;
    }
}
