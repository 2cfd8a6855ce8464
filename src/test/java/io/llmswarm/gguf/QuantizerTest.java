package io.llmswarm.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class QuantizerTest {

    private static float[] gaussian(int n, long seed) {
        Random random = new Random(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian() * (1 + i % 7) * 0.1f; // scales differ between blocks
        }
        return values;
    }

    /** Relative RMS error and the largest error relative to the block's largest magnitude. */
    @ParameterizedTest
    // Block bounds: half a step, or a whole step at the clamped end of Q4_0/Q5_0 (whose signed
    // extreme maps to -8/-16 so +amax lands one step short), plus fp16 rounding of the scales.
    @CsvSource({"F32, 0, 0", "F16, 0.0005, 0.0005", "BF16, 0.004, 0.004", "Q8_0, 0.008, 0.0045",
        "Q8_K, 0.011, 0.0045", "Q6_K, 0.03, 0.03", "Q5_0, 0.055, 0.065", "Q5_K, 0.05, 0.045",
        "Q4_0, 0.11, 0.13", "Q4_1, 0.095, 0.07", "Q4_K, 0.1, 0.09"})
    void roundTripErrorStaysWithinTheTypesResolution(GgmlType type, double maxRelativeRms, double maxBlockError) {
        float[] values = gaussian(4096, 42);
        byte[] bytes = Quantizer.quantize(type, values);
        assertEquals(type.byteSize(values.length), bytes.length);
        float[] back = Quantizer.dequantize(type, bytes);
        double error2 = 0;
        double value2 = 0;
        int block = Math.max(32, type.blockSize());
        for (int b = 0; b < values.length; b += block) {
            float amax = 0;
            float worst = 0;
            for (int i = b; i < b + block; i++) {
                amax = Math.max(amax, Math.abs(values[i]));
                worst = Math.max(worst, Math.abs(values[i] - back[i]));
                error2 += (values[i] - back[i]) * (double) (values[i] - back[i]);
                value2 += values[i] * (double) values[i];
            }
            assertTrue(worst <= maxBlockError * amax, type + " block " + b + ": error " + worst + " of " + amax);
        }
        double rms = Math.sqrt(error2 / value2);
        assertTrue(rms <= maxRelativeRms, type + " relative RMS error " + rms);
    }

    @ParameterizedTest
    @CsvSource({"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "F16", "BF16"})
    void zerosStayZeroAndDequantizeHonoursOffsets(GgmlType type) {
        int n = 2 * Math.max(32, type.blockSize());
        float[] values = gaussian(n, 7);
        Arrays.fill(values, 0, n / 2, 0f);
        byte[] bytes = Quantizer.quantize(type, values);
        float[] dst = new float[n + 3];
        Quantizer.dequantize(type, MemorySegment.ofArray(bytes), 0, dst, 3, n);
        for (int i = 0; i < n / 2; i++) {
            assertEquals(0f, dst[3 + i], 0f, type + " element " + i); // -0.0 allowed, as ggml gives
        }
        float[] secondHalf = new float[n / 2];
        Quantizer.dequantize(type, MemorySegment.ofArray(bytes), bytes.length / 2, secondHalf, 0, n / 2);
        assertArrayEquals(Arrays.copyOfRange(dst, 3 + n / 2, 3 + n), secondHalf);
    }

    @Test
    void q4_0QuantizesAHandComputedBlock() {
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) {
            x[j] = j - 16; // extreme -16, so d = 2 and q = trunc((j - 16) / 2 + 8.5), at most 15
        }
        byte[] block = Quantizer.quantize(GgmlType.Q4_0, x);
        assertEquals(0x00, block[0]);
        assertEquals(0x40, block[1]); // fp16 2.0
        for (int j = 0; j < 16; j++) {
            int lo = (j + 1) / 2;
            int hi = Math.min(15, (j + 17) / 2);
            assertEquals((byte) (lo | hi << 4), block[2 + j], "byte " + j);
        }
        float[] back = Quantizer.dequantize(GgmlType.Q4_0, block);
        assertEquals(-16f, back[0]);
        assertEquals(14f, back[31]); // clamped at 15: (15 - 8) * 2
    }

    @Test
    void q8_0RoundsHalvesAwayFromZeroLikeRoundf() {
        float[] x = new float[32];
        x[0] = 127;
        x[1] = -2.5f;
        x[2] = 2.5f;
        x[3] = -0.5f;
        byte[] block = Quantizer.quantize(GgmlType.Q8_0, x);
        assertEquals(0x3C00, (block[0] & 0xff) | (block[1] & 0xff) << 8); // d = 1
        assertEquals(127, block[2]);
        assertEquals(-3, block[3]);
        assertEquals(3, block[4]);
        assertEquals(-1, block[5]);
    }

    @Test
    void q4_1AndQ5_0DecodeHandBuiltBlocks() {
        byte[] q41 = new byte[20];
        q41[1] = 0x38; // d = 0.5
        q41[3] = (byte) 0xBC; // m = -1
        q41[4] = 0x73; // element 0: q 3, element 16: q 7
        float[] a = Quantizer.dequantize(GgmlType.Q4_1, q41);
        assertEquals(0.5f, a[0]);
        assertEquals(2.5f, a[16]);
        assertEquals(-1f, a[1]);

        byte[] q50 = new byte[22];
        q50[1] = 0x3C; // d = 1
        Quantizer.putInt(q50, 2, 1 | 1 << 17); // fifth bits of elements 0 and 17
        q50[6] = 0x03; // element 0 low 3, element 16 low 0
        q50[7] = (byte) 0xF0; // element 1 low 0, element 17 low 15
        float[] b = Quantizer.dequantize(GgmlType.Q5_0, q50);
        assertEquals(3f, b[0]);
        assertEquals(-16f, b[16]);
        assertEquals(-16f, b[1]);
        assertEquals(15f, b[17]);
    }

    @Test
    void q4_KDecodesAHandBuiltBlockWithSixBitScales() {
        byte[] block = new byte[144];
        block[1] = 0x3C; // d = 1
        block[3] = 0x38; // dmin = 0.5
        // scales bytes 4..15: sub-block 1 scale 3 / min 2 in bytes 1 and 5; sub-block 5 scale 42
        // (0b10_1010) / min 21 (0b01_0101): low nibbles in byte 9, top bits in bytes 1 and 5.
        block[4 + 1] = (byte) (0x80 | 3);
        block[4 + 5] = (byte) (0x40 | 2);
        block[4 + 9] = 0x5A;
        block[16 + 64 + 3] = 0x70; // sub-block 5 (high nibbles of the third 32 bytes), element 3: q 7
        block[16] = 0x50; // sub-block 1 element 0: q 5; sub-block 0 element 0: q 0
        float[] y = Quantizer.dequantize(GgmlType.Q4_K, block);
        assertEquals(42 * 7 - 0.5f * 21, y[5 * 32 + 3]);
        assertEquals(3 * 5 - 0.5f * 2, y[32]);
        assertEquals(0f, y[0]);
        assertEquals(-0.5f * 21, y[5 * 32]);
    }

    @Test
    void q5_KDecodesAHandBuiltBlockWithFifthBits() {
        byte[] block = new byte[176];
        block[1] = 0x3C; // d = 1
        block[3] = 0x38; // dmin = 0.5
        block[4 + 3] = 5; // sub-block 3: scale 5, min 0
        block[4 + 10] = 0x03; // sub-block 6: scale low nibble 3, min low nibble 0
        block[4 + 2] = 0x40; // sub-block 6: scale top bits 01 -> 19
        block[4 + 6] = (byte) 0x80; // sub-block 6: min top bits 10 -> 32
        block[16 + 2] = 1 << 3; // qh[2] bit 3: fifth bit of sub-block 3, element 2
        block[16 + 1] = 1 << 6; // qh[1] bit 6: fifth bit of sub-block 6, element 1
        block[48 + 32 + 2] = 0x70; // sub-block 3 (high nibbles of bytes 32..63), element 2: low bits 7
        block[48 + 96 + 1] = 0x02; // sub-block 6 (low nibbles of bytes 96..127), element 1: low bits 2
        float[] y = Quantizer.dequantize(GgmlType.Q5_K, block);
        assertEquals(5 * (7 + 16), y[3 * 32 + 2]);
        assertEquals(19 * (2 + 16) - 0.5f * 32, y[6 * 32 + 1]);
        assertEquals(-0.5f * 32, y[6 * 32]);
        assertEquals(0f, y[3 * 32]);
    }

    @Test
    void q6_KDecodesAHandBuiltBlock() {
        byte[] block = new byte[210];
        block[0] = 0x21; // ql[0]: element 0 low 1, element 64 low 2
        block[128] = (byte) 0b11_01_10_11; // qh[0]: high bits of elements 0, 32, 64, 96
        block[192] = 2; // scale of elements 0..15
        block[196] = -3; // scale of elements 64..79
        block[198] = 1; // scale of elements 96..111
        block[209] = 0x38; // d = 0.5
        float[] y = Quantizer.dequantize(GgmlType.Q6_K, block);
        assertEquals(0.5f * 2 * (1 + 48 - 32), y[0]);
        assertEquals(0f, y[32]); // scale 0
        assertEquals(0.5f * -3 * (2 + 16 - 32), y[64]);
        assertEquals(0.5f * 1 * (0 + 48 - 32), y[96]);
    }

    @Test
    void q8_KKeepsAFloatScaleAndBlockSums() {
        float[] x = gaussian(256, 3);
        byte[] block = Quantizer.quantize(GgmlType.Q8_K, x);
        for (int g = 0; g < 16; g++) {
            int sum = 0;
            for (int l = 0; l < 16; l++) {
                sum += block[4 + 16 * g + l];
            }
            assertEquals((short) sum, (short) ((block[260 + 2 * g] & 0xff) | block[261 + 2 * g] << 8));
        }
        byte[] handBuilt = new byte[292];
        Quantizer.putInt(handBuilt, 0, Float.floatToIntBits(0.25f));
        handBuilt[4 + 5] = -7;
        assertEquals(-1.75f, Quantizer.dequantize(GgmlType.Q8_K, handBuilt)[5]);
    }

    @Test
    void f16ConvertsExactlyAndRoundsToEven() {
        float[] x = {1f, 65504f, 0x1p-24f, -2f, 1 + 0x1p-11f, 1 + 3 * 0x1p-11f, 0.1f};
        byte[] bytes = Quantizer.quantize(GgmlType.F16, x);
        int[] expected = {0x3C00, 0x7BFF, 0x0001, 0xC000, 0x3C00, 0x3C02, 0x2E66};
        for (int i = 0; i < x.length; i++) {
            assertEquals(expected[i], (bytes[2 * i] & 0xff) | (bytes[2 * i + 1] & 0xff) << 8, "value " + x[i]);
        }
        float[] back = Quantizer.dequantize(GgmlType.F16, bytes);
        assertEquals(65504f, back[1]);
        assertEquals(0x1p-24f, back[2]);
    }

    @Test
    void bf16RoundsToNearestEvenAndKeepsNaNQuiet() {
        int[] in = {0x3F800000, 0x3F808000, 0x3F818000, 0x3F808001, 0x7FC00001, 0x7F800001, 0x7F800000, 0x7F7FFFFF,
            0xBF800000};
        int[] out = {0x3F80, 0x3F80, 0x3F82, 0x3F81, 0x7FC0, 0x7FC0, 0x7F80, 0x7F80, 0xBF80};
        for (int i = 0; i < in.length; i++) {
            assertEquals(out[i], Quantizer.floatToBf16(Float.intBitsToFloat(in[i])) & 0xffff, Integer.toHexString(in[i]));
        }
        assertEquals(-1f, Quantizer.bf16ToFloat((short) 0xBF80));
    }

    @Test
    void rejectsPartialBlocksAndUnsupportedTypes() {
        assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(GgmlType.Q4_K, new float[255]));
        assertThrows(IllegalArgumentException.class,
                () -> Quantizer.dequantize(GgmlType.Q8_0, MemorySegment.ofArray(new byte[34]), 0, new float[32], 0, 31));
        assertThrows(UnsupportedOperationException.class, () -> Quantizer.quantize(GgmlType.Q2_K, new float[256]));
    }
}
