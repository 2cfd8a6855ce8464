package io.llmswarm.gguf;

import static io.llmswarm.gguf.Quantizer.fp16At;
import static io.llmswarm.gguf.Quantizer.nearestInt;
import static io.llmswarm.gguf.Quantizer.putShort;
import static io.llmswarm.gguf.Quantizer.roundToFp16;
import static io.llmswarm.gguf.Quantizer.unsignedByte;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The 256-element super-block ("K") types, laid out as in {@code ggml-common.h}:
 * <ul>
 * <li>Q4_K: fp16 d, fp16 dmin, 12 bytes of 6-bit scales and mins for 8 sub-blocks of 32,
 * qs[128]: each 32 bytes hold two sub-blocks, the first in the low nibbles.
 * <li>Q5_K: as Q4_K with qh[32] before qs; bit 2c / 2c+1 of qh[l] is the fifth bit of element
 * l of sub-block 2c / 2c+1.
 * <li>Q6_K: ql[128], qh[64], int8 scales[16] (sub-blocks of 16), fp16 d; value = d*scale*(q-32).
 * <li>Q8_K: float32 d, int8 qs[256], int16 bsums[16] (sums of each 16 quants).
 * </ul>
 * Scales come from each sub-block's min and max (no iterative search as in ggml).
 */
final class KQuants {

    private static final int QK = 256;

    private KQuants() {
    }

    // ---- Q4_K and Q5_K share scales: sub-block j is x = d*sc[j]*q - dmin*m[j].

    /** Fills {@code levels} with quant levels 0..nmax and writes d, dmin and the packed scales at {@code at}. */
    private static void quantizeWithMins(float[] x, int in, int nmax, byte[] out, int at, int[] levels) {
        float[] scales = new float[8];
        float[] mins = new float[8];
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float lo = 0; // the offset only ever subtracts, so the range must include 0
            float hi = -Float.MAX_VALUE;
            for (int l = 0; l < 32; l++) {
                lo = Math.min(lo, x[in + 32 * j + l]);
                hi = Math.max(hi, x[in + 32 * j + l]);
            }
            scales[j] = (hi - lo) / nmax;
            mins[j] = -lo;
            maxScale = Math.max(maxScale, scales[j]);
            maxMin = Math.max(maxMin, mins[j]);
        }
        float d = roundToFp16(maxScale / 63);
        float dmin = roundToFp16(maxMin / 63);
        int[] ls = new int[8];
        int[] lm = new int[8];
        for (int j = 0; j < 8; j++) {
            // Round the scale up so the sub-block's max stays in range.
            ls[j] = d == 0 ? 0 : Math.min(63, (int) Math.ceil(scales[j] / d - 1e-4f));
            lm[j] = dmin == 0 ? 0 : Math.min(63, nearestInt(mins[j] / dmin));
        }
        putShort(out, at, Float.floatToFloat16(d));
        putShort(out, at + 2, Float.floatToFloat16(dmin));
        packScales(ls, lm, out, at + 4);
        for (int j = 0; j < 8; j++) {
            float step = d * ls[j];
            float offset = dmin * lm[j];
            for (int l = 0; l < 32; l++) {
                int q = step == 0 ? 0 : nearestInt((x[in + 32 * j + l] + offset) / step);
                levels[32 * j + l] = Math.max(0, Math.min(nmax, q));
            }
        }
    }

    /** 6-bit scales and mins into 12 bytes: j<4 plain in bytes j and j+4; j>=4 split over nibbles and top bits. */
    private static void packScales(int[] ls, int[] lm, byte[] out, int at) {
        byte[] s = new byte[12];
        for (int j = 0; j < 4; j++) {
            s[j] = (byte) ls[j];
            s[j + 4] = (byte) lm[j];
        }
        for (int j = 4; j < 8; j++) {
            s[j + 4] = (byte) ((ls[j] & 0xF) | (lm[j] & 0xF) << 4);
            s[j - 4] |= (byte) ((ls[j] >> 4) << 6);
            s[j] |= (byte) ((lm[j] >> 4) << 6);
        }
        System.arraycopy(s, 0, out, at, 12);
    }

    /** The 6-bit scale of sub-block j (or, with {@code min}, its min) from the 12 packed bytes at {@code at}. */
    static int unpackScale(MemorySegment src, long at, int j, boolean min) {
        if (j < 4) {
            return unsignedByte(src, at + j + (min ? 4 : 0)) & 63;
        }
        int packed = unsignedByte(src, at + j + 4);
        int low = min ? packed >> 4 : packed & 0xF;
        return low | (unsignedByte(src, at + j - (min ? 0 : 4)) >> 6) << 4;
    }

    static void quantizeQ4_K(float[] x, int in, byte[] out, int at) {
        int[] q = new int[QK];
        quantizeWithMins(x, in, 15, out, at, q);
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                out[at + 16 + 32 * c + l] = (byte) (q[64 * c + l] | q[64 * c + 32 + l] << 4);
            }
        }
    }

    static void dequantizeQ4_K(MemorySegment src, long at, float[] dst, int out) {
        float d = fp16At(src, at);
        float dmin = fp16At(src, at + 2);
        for (int c = 0; c < 4; c++) {
            float d1 = d * unpackScale(src, at + 4, 2 * c, false);
            float m1 = dmin * unpackScale(src, at + 4, 2 * c, true);
            float d2 = d * unpackScale(src, at + 4, 2 * c + 1, false);
            float m2 = dmin * unpackScale(src, at + 4, 2 * c + 1, true);
            for (int l = 0; l < 32; l++) {
                int q = unsignedByte(src, at + 16 + 32 * c + l);
                dst[out + 64 * c + l] = d1 * (q & 0xF) - m1;
                dst[out + 64 * c + 32 + l] = d2 * (q >> 4) - m2;
            }
        }
    }

    static void quantizeQ5_K(float[] x, int in, byte[] out, int at) {
        int[] q = new int[QK];
        quantizeWithMins(x, in, 31, out, at, q);
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                int lo = q[64 * c + l];
                int hi = q[64 * c + 32 + l];
                out[at + 48 + 32 * c + l] = (byte) ((lo & 0xF) | (hi & 0xF) << 4);
                out[at + 16 + l] |= (byte) ((lo >> 4) << (2 * c) | (hi >> 4) << (2 * c + 1));
            }
        }
    }

    static void dequantizeQ5_K(MemorySegment src, long at, float[] dst, int out) {
        float d = fp16At(src, at);
        float dmin = fp16At(src, at + 2);
        for (int c = 0; c < 4; c++) {
            float d1 = d * unpackScale(src, at + 4, 2 * c, false);
            float m1 = dmin * unpackScale(src, at + 4, 2 * c, true);
            float d2 = d * unpackScale(src, at + 4, 2 * c + 1, false);
            float m2 = dmin * unpackScale(src, at + 4, 2 * c + 1, true);
            for (int l = 0; l < 32; l++) {
                int q = unsignedByte(src, at + 48 + 32 * c + l);
                int h = unsignedByte(src, at + 16 + l);
                dst[out + 64 * c + l] = d1 * ((q & 0xF) + ((h >> (2 * c)) & 1) * 16) - m1;
                dst[out + 64 * c + 32 + l] = d2 * ((q >> 4) + ((h >> (2 * c + 1)) & 1) * 16) - m2;
            }
        }
    }

    static void quantizeQ6_K(float[] x, int in, byte[] out, int at) {
        float[] scales = new float[16];
        float maxScale = 0;
        float maxAbsScale = 0;
        for (int j = 0; j < 16; j++) {
            float amax = 0;
            float max = 0;
            for (int l = 0; l < 16; l++) {
                float v = x[in + 16 * j + l];
                if (Math.abs(v) > amax) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            scales[j] = max / -32; // the signed extreme maps to -32, the end of the range -32..31
            if (Math.abs(scales[j]) > maxAbsScale) {
                maxAbsScale = Math.abs(scales[j]);
                maxScale = scales[j];
            }
        }
        int[] q = new int[QK];
        byte[] sc = new byte[16];
        float d = 0;
        if (maxAbsScale != 0) {
            float iscale = -128f / maxScale;
            d = roundToFp16(1 / iscale);
            for (int j = 0; j < 16; j++) {
                sc[j] = (byte) Math.max(-128, Math.min(127, nearestInt(iscale * scales[j])));
            }
        }
        for (int j = 0; j < 16; j++) {
            float step = d * sc[j];
            for (int l = 0; l < 16; l++) {
                int level = step == 0 ? 0 : nearestInt(x[in + 16 * j + l] / step);
                q[16 * j + l] = Math.max(-32, Math.min(31, level)) + 32;
            }
        }
        for (int half = 0; half < 2; half++) {
            int n = 128 * half;
            for (int l = 0; l < 32; l++) {
                int q1 = q[n + l];
                int q2 = q[n + l + 32];
                int q3 = q[n + l + 64];
                int q4 = q[n + l + 96];
                out[at + 64 * half + l] = (byte) ((q1 & 0xF) | (q3 & 0xF) << 4);
                out[at + 64 * half + l + 32] = (byte) ((q2 & 0xF) | (q4 & 0xF) << 4);
                out[at + 128 + 32 * half + l] = (byte) ((q1 >> 4) | (q2 >> 4) << 2 | (q3 >> 4) << 4 | (q4 >> 4) << 6);
            }
        }
        System.arraycopy(sc, 0, out, at + 192, 16);
        putShort(out, at + 208, Float.floatToFloat16(d));
    }

    static void dequantizeQ6_K(MemorySegment src, long at, float[] dst, int out) {
        float d = fp16At(src, at + 208);
        for (int half = 0; half < 2; half++) {
            long ql = at + 64 * half;
            long qh = at + 128 + 32 * half;
            long sc = at + 192 + 8 * half;
            int y = out + 128 * half;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int low = unsignedByte(src, ql + l);
                int low2 = unsignedByte(src, ql + l + 32);
                int high = unsignedByte(src, qh + l);
                int q1 = ((low & 0xF) | (high & 3) << 4) - 32;
                int q2 = ((low2 & 0xF) | ((high >> 2) & 3) << 4) - 32;
                int q3 = ((low >> 4) | ((high >> 4) & 3) << 4) - 32;
                int q4 = ((low2 >> 4) | ((high >> 6) & 3) << 4) - 32;
                dst[y + l] = d * src.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                dst[y + l + 32] = d * src.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                dst[y + l + 64] = d * src.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                dst[y + l + 96] = d * src.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
            }
        }
    }

    static void quantizeQ8_K(float[] x, int in, byte[] out, int at) {
        float amax = 0;
        float max = 0;
        for (int j = 0; j < QK; j++) {
            if (Math.abs(x[in + j]) > amax) {
                amax = Math.abs(x[in + j]);
                max = x[in + j];
            }
        }
        float d = 0;
        if (amax != 0) {
            float iscale = -127f / max;
            d = 1 / iscale;
            for (int j = 0; j < QK; j++) {
                out[at + 4 + j] = (byte) Math.min(127, nearestInt(iscale * x[in + j]));
            }
        }
        Quantizer.putInt(out, at, Float.floatToRawIntBits(d));
        for (int g = 0; g < 16; g++) {
            int sum = 0;
            for (int l = 0; l < 16; l++) {
                sum += out[at + 4 + 16 * g + l];
            }
            putShort(out, at + 4 + QK + 2 * g, (short) sum);
        }
    }

    static void dequantizeQ8_K(MemorySegment src, long at, float[] dst, int out) {
        float d = src.get(Quantizer.F32, at);
        for (int j = 0; j < QK; j++) {
            dst[out + j] = d * src.get(ValueLayout.JAVA_BYTE, at + 4 + j);
        }
    }
}
