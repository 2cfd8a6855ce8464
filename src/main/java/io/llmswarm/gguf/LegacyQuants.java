package io.llmswarm.gguf;

import static io.llmswarm.gguf.Quantizer.fp16At;
import static io.llmswarm.gguf.Quantizer.putShort;
import static io.llmswarm.gguf.Quantizer.roundHalfAway;
import static io.llmswarm.gguf.Quantizer.unsignedByte;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The 32-element block types. Layouts: Q8_0 = fp16 d, int8 qs[32]; Q4_0 = fp16 d, qs[16] whose low
 * nibbles are elements 0..15 and high nibbles 16..31; Q4_1 = fp16 d, fp16 m, qs[16]; Q5_0 = fp16
 * d, uint32 qh (bit j = fifth bit of element j), qs[16] as Q4_0. Rounding follows ggml's
 * reference quantizers, so files come out as llama.cpp's own would.
 */
final class LegacyQuants {

    private static final int QK = 32;

    private LegacyQuants() {
    }

    static void quantizeQ8_0(float[] x, int in, byte[] out, int at) {
        float amax = 0;
        for (int j = 0; j < QK; j++) {
            amax = Math.max(amax, Math.abs(x[in + j]));
        }
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putShort(out, at, Float.floatToFloat16(d));
        for (int j = 0; j < QK; j++) {
            out[at + 2 + j] = (byte) roundHalfAway(x[in + j] * id);
        }
    }

    static void dequantizeQ8_0(MemorySegment src, long at, float[] dst, int out) {
        float d = fp16At(src, at);
        for (int j = 0; j < QK; j++) {
            dst[out + j] = src.get(ValueLayout.JAVA_BYTE, at + 2 + j) * d;
        }
    }

    /** The element of largest magnitude, with its sign (the first of equals). */
    private static float signedAbsMax(float[] x, int in) {
        float amax = 0;
        float max = 0;
        for (int j = 0; j < QK; j++) {
            float v = x[in + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        return max;
    }

    static void quantizeQ4_0(float[] x, int in, byte[] out, int at) {
        // The signed extreme maps to -8, so the full range -8..7 is used.
        float d = signedAbsMax(x, in) / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putShort(out, at, Float.floatToFloat16(d));
        for (int j = 0; j < QK / 2; j++) {
            // Fused as in llama.cpp builds with FMA: it decides values that land just below a boundary.
            int lo = Math.min(15, (int) Math.fma(x[in + j], id, 8.5f));
            int hi = Math.min(15, (int) Math.fma(x[in + j + QK / 2], id, 8.5f));
            out[at + 2 + j] = (byte) (lo | hi << 4);
        }
    }

    static void dequantizeQ4_0(MemorySegment src, long at, float[] dst, int out) {
        float d = fp16At(src, at);
        for (int j = 0; j < QK / 2; j++) {
            int q = unsignedByte(src, at + 2 + j);
            dst[out + j] = ((q & 0xF) - 8) * d;
            dst[out + j + QK / 2] = ((q >> 4) - 8) * d;
        }
    }

    static void quantizeQ4_1(float[] x, int in, byte[] out, int at) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < QK; j++) {
            min = Math.min(min, x[in + j]);
            max = Math.max(max, x[in + j]);
        }
        float d = (max - min) / 15;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putShort(out, at, Float.floatToFloat16(d));
        putShort(out, at + 2, Float.floatToFloat16(min));
        for (int j = 0; j < QK / 2; j++) {
            int lo = Math.min(15, (int) ((x[in + j] - min) * id + 0.5f));
            int hi = Math.min(15, (int) ((x[in + j + QK / 2] - min) * id + 0.5f));
            out[at + 4 + j] = (byte) (lo | hi << 4);
        }
    }

    static void dequantizeQ4_1(MemorySegment src, long at, float[] dst, int out) {
        float d = fp16At(src, at);
        float m = fp16At(src, at + 2);
        for (int j = 0; j < QK / 2; j++) {
            int q = unsignedByte(src, at + 4 + j);
            dst[out + j] = (q & 0xF) * d + m;
            dst[out + j + QK / 2] = (q >> 4) * d + m;
        }
    }

    static void quantizeQ5_0(float[] x, int in, byte[] out, int at) {
        float d = signedAbsMax(x, in) / -16;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putShort(out, at, Float.floatToFloat16(d));
        int qh = 0;
        for (int j = 0; j < QK / 2; j++) {
            int lo = Math.min(31, (int) Math.fma(x[in + j], id, 16.5f));
            int hi = Math.min(31, (int) Math.fma(x[in + j + QK / 2], id, 16.5f));
            out[at + 6 + j] = (byte) ((lo & 0xF) | (hi & 0xF) << 4);
            qh |= (lo >> 4) << j;
            qh |= (hi >> 4) << (j + QK / 2);
        }
        Quantizer.putInt(out, at + 2, qh);
    }

    static void dequantizeQ5_0(MemorySegment src, long at, float[] dst, int out) {
        float d = fp16At(src, at);
        int qh = src.get(Quantizer.I32, at + 2);
        for (int j = 0; j < QK / 2; j++) {
            int q = unsignedByte(src, at + 6 + j);
            int lo = (q & 0xF) | ((qh >>> j) & 1) << 4;
            int hi = (q >> 4) | ((qh >>> (j + QK / 2)) & 1) << 4;
            dst[out + j] = (lo - 16) * d;
            dst[out + j + QK / 2] = (hi - 16) * d;
        }
    }
}
