package io.llmswarm.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Converts floats to and from GGML's storage types, block by block, with the block layouts of
 * llama.cpp's {@code ggml-common.h}. Scalar and plain: it is for writing model files and for
 * checking kernels, not for inference. The legacy types (Q4_0, Q4_1, Q5_0, Q8_0) round exactly
 * as ggml's reference quantizers do; the K types use a simpler min/max search than ggml's, which
 * gives valid blocks with somewhat larger error.
 */
public final class Quantizer {

    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Quantizer() {
    }

    /** Whether {@link #quantize} and {@link #dequantize} support {@code type}. */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q4_K, Q5_K, Q6_K, Q8_K -> true;
            default -> false;
        };
    }

    /** {@code values} stored as {@code type}; their count must fill whole blocks. */
    public static byte[] quantize(GgmlType type, float[] values) {
        requireSupported(type);
        byte[] out = new byte[Math.toIntExact(type.byteSize(values.length))];
        int blocks = values.length / type.blockSize();
        for (int b = 0; b < blocks; b++) {
            int in = b * type.blockSize();
            int at = b * type.typeSize();
            switch (type) {
                case F32 -> putInt(out, at, Float.floatToRawIntBits(values[in]));
                case F16 -> putShort(out, at, Float.floatToFloat16(values[in]));
                case BF16 -> putShort(out, at, floatToBf16(values[in]));
                case Q8_0 -> LegacyQuants.quantizeQ8_0(values, in, out, at);
                case Q4_0 -> LegacyQuants.quantizeQ4_0(values, in, out, at);
                case Q4_1 -> LegacyQuants.quantizeQ4_1(values, in, out, at);
                case Q5_0 -> LegacyQuants.quantizeQ5_0(values, in, out, at);
                case Q4_K -> KQuants.quantizeQ4_K(values, in, out, at);
                case Q5_K -> KQuants.quantizeQ5_K(values, in, out, at);
                case Q6_K -> KQuants.quantizeQ6_K(values, in, out, at);
                case Q8_K -> KQuants.quantizeQ8_K(values, in, out, at);
                default -> throw new AssertionError(type);
            }
        }
        return out;
    }

    /**
     * Decodes {@code count} values (whole blocks) of {@code type} that start {@code srcByteOffset}
     * bytes into {@code src}, into {@code dst} from {@code dstOffset}.
     */
    public static void dequantize(GgmlType type, MemorySegment src, long srcByteOffset, float[] dst, int dstOffset,
            int count) {
        requireSupported(type);
        if (count % type.blockSize() != 0) {
            throw new IllegalArgumentException(type + " decodes whole blocks of " + type.blockSize()
                    + " values; " + count + " is not a multiple");
        }
        int blocks = count / type.blockSize();
        for (int b = 0; b < blocks; b++) {
            long at = srcByteOffset + (long) b * type.typeSize();
            int out = dstOffset + b * type.blockSize();
            switch (type) {
                case F32 -> dst[out] = src.get(F32, at);
                case F16 -> dst[out] = Float.float16ToFloat(src.get(I16, at));
                case BF16 -> dst[out] = bf16ToFloat(src.get(I16, at));
                case Q8_0 -> LegacyQuants.dequantizeQ8_0(src, at, dst, out);
                case Q4_0 -> LegacyQuants.dequantizeQ4_0(src, at, dst, out);
                case Q4_1 -> LegacyQuants.dequantizeQ4_1(src, at, dst, out);
                case Q5_0 -> LegacyQuants.dequantizeQ5_0(src, at, dst, out);
                case Q4_K -> KQuants.dequantizeQ4_K(src, at, dst, out);
                case Q5_K -> KQuants.dequantizeQ5_K(src, at, dst, out);
                case Q6_K -> KQuants.dequantizeQ6_K(src, at, dst, out);
                case Q8_K -> KQuants.dequantizeQ8_K(src, at, dst, out);
                default -> throw new AssertionError(type);
            }
        }
    }

    /** {@link #dequantize} of a whole byte array. */
    public static float[] dequantize(GgmlType type, byte[] src) {
        int count = Math.toIntExact(src.length / type.typeSize() * (long) type.blockSize());
        float[] dst = new float[count];
        dequantize(type, MemorySegment.ofArray(src), 0, dst, 0, count);
        return dst;
    }

    /** fp32 to bf16 as ggml does it: round to nearest even; NaN stays a (quiet) NaN. */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 64);
        }
        return (short) ((bits + (0x7fff + ((bits >>> 16) & 1))) >>> 16);
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    private static void requireSupported(GgmlType type) {
        if (!supports(type)) {
            throw new UnsupportedOperationException("no quantizer for " + type);
        }
    }

    /** C's {@code roundf}: halves away from zero. */
    static int roundHalfAway(float x) {
        return (int) Math.copySign(Math.floor(Math.abs((double) x) + 0.5), x);
    }

    /** ggml's {@code nearest_int}: halves to even. */
    static int nearestInt(float x) {
        return (int) Math.rint(x);
    }

    /** The fp16 nearest to {@code value}, as a float: what a reader of the block will see. */
    static float roundToFp16(float value) {
        return Float.float16ToFloat(Float.floatToFloat16(value));
    }

    static void putShort(byte[] out, int at, short value) {
        out[at] = (byte) value;
        out[at + 1] = (byte) (value >> 8);
    }

    static void putInt(byte[] out, int at, int value) {
        for (int i = 0; i < 4; i++) {
            out[at + i] = (byte) (value >> (8 * i));
        }
    }

    static int unsignedByte(MemorySegment src, long at) {
        return Byte.toUnsignedInt(src.get(ValueLayout.JAVA_BYTE, at));
    }

    static float fp16At(MemorySegment src, long at) {
        return Float.float16ToFloat(src.get(I16, at));
    }
}
