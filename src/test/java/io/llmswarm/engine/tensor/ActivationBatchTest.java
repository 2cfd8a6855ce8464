package io.llmswarm.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.llmswarm.gguf.GgmlType;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

class ActivationBatchTest {

    @Test
    void formatForWeightIsLlamaCppsVecDotType() {
        assertEquals(ActivationFormat.F32, ActivationFormat.forWeight(GgmlType.F32));
        assertEquals(ActivationFormat.F16, ActivationFormat.forWeight(GgmlType.F16));
        assertEquals(ActivationFormat.BF16, ActivationFormat.forWeight(GgmlType.BF16));
        assertEquals(ActivationFormat.Q8_0, ActivationFormat.forWeight(GgmlType.Q4_0));
        assertEquals(ActivationFormat.Q8_0, ActivationFormat.forWeight(GgmlType.Q5_0));
        assertEquals(ActivationFormat.Q8_0, ActivationFormat.forWeight(GgmlType.Q8_0));
        assertEquals(ActivationFormat.Q8_1, ActivationFormat.forWeight(GgmlType.Q4_1));
        assertEquals(ActivationFormat.Q8_1, ActivationFormat.forWeight(GgmlType.Q5_1));
        assertEquals(ActivationFormat.Q8_K, ActivationFormat.forWeight(GgmlType.Q4_K));
        assertEquals(ActivationFormat.Q8_K, ActivationFormat.forWeight(GgmlType.Q6_K));
        assertThrows(IllegalArgumentException.class, () -> ActivationFormat.forWeight(GgmlType.I32));
    }

    @Test
    void q80ScaleIsAmaxOver127RoundedToHalfAndQuantsRoundHalfToEven() {
        float[] x = new float[32];
        x[0] = 127f; // amax = 127, so x * 127 / amax = x exactly: ties are visible
        x[1] = 2.5f;
        x[2] = -2.5f;
        x[3] = 3.5f;
        x[4] = -126.4f;
        x[5] = 0.49f;
        ActivationBatch batch = new ActivationBatch(ActivationFormat.Q8_0, 1, 32);
        batch.encode(x, 0, 1);
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(1f)), batch.scales()[0]);
        assertEquals(127f, batch.values()[0]);
        assertEquals(2f, batch.values()[1], "ties round to even, as _mm256_round_ps does");
        assertEquals(-2f, batch.values()[2]);
        assertEquals(4f, batch.values()[3]);
        assertEquals(-126f, batch.values()[4]);
        assertEquals(0f, batch.values()[5]);
        assertEquals(127f + 2 - 2 + 4 - 126, batch.quantSums()[0]);
    }

    @Test
    void q80ScaleIsStoredAsHalf() {
        float[] x = new float[64];
        x[3] = -0.3f;
        x[40] = 5e-3f;
        ActivationBatch batch = new ActivationBatch(ActivationFormat.Q8_0, 1, 64);
        batch.encode(x, 0, 1);
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(0.3f / 127f)), batch.scales()[0]);
        assertEquals(-127f, batch.values()[3]);
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(5e-3f / 127f)), batch.scales()[1]);
        assertEquals(127f, batch.values()[40]);
    }

    @Test
    void allZeroBlockEncodesAsZeroScaleAndQuants() {
        ActivationBatch batch = new ActivationBatch(ActivationFormat.Q8_0, 1, 32);
        batch.encode(new float[32], 0, 1);
        assertEquals(0f, batch.scales()[0]);
        assertArrayEquals(new float[32], Arrays.copyOf(batch.values(), 32));
    }

    @Test
    void q81KeepsHalfOfScaleTimesQuantSum() {
        float[] x = RandomWeights.activations(1, 64, 3);
        ActivationBatch batch = new ActivationBatch(ActivationFormat.Q8_1, 1, 64);
        batch.encode(x, 0, 1);
        for (int b = 0; b < 2; b++) {
            float amax = 0;
            int sum = 0;
            for (int i = 0; i < 32; i++) {
                amax = Math.max(amax, Math.abs(x[b * 32 + i]));
                sum += (int) batch.values()[b * 32 + i];
            }
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(amax / 127f * sum)), batch.sums()[b]);
        }
    }

    @Test
    void q8kUsesSignedMaxScaleAndKeepsSumsOfSixteen() {
        float[] x = RandomWeights.activations(2, 256, 5);
        x[17] = -9f; // largest magnitude of row 0: iscale = -127/max maps it to -127 whatever its sign
        ActivationBatch batch = new ActivationBatch(ActivationFormat.Q8_K, 2, 256);
        batch.encode(x, 0, 2);
        float iscale = -127f / -9f;
        assertEquals(1 / iscale, batch.scales()[0]);
        assertEquals(-127f, batch.values()[17]);
        for (int i = 0; i < 256; i++) {
            int expected = Math.min(127, (int) Math.rint(iscale * x[i]));
            assertEquals(expected, batch.values()[i], "quant " + i);
        }
        for (int g = 0; g < 32; g++) {
            int sum = 0;
            for (int i = 0; i < 16; i++) {
                sum += (int) batch.values()[g * 16 + i];
            }
            assertEquals(sum, batch.groupSums()[g], "group " + g);
        }
    }

    @Test
    void halfAndBfloatRowsAreRoundedToNearestEven() {
        float tie = 1f + 0x1p-8f;
        float tieUp = 1f + 3 * 0x1p-8f;
        ActivationBatch bf16 = new ActivationBatch(ActivationFormat.BF16, 1, 3);
        bf16.encode(new float[] {tie, tieUp, -2.0f}, 0, 1);
        assertEquals(1f, bf16.values()[0]);
        assertEquals(1f + 0x1p-6f, bf16.values()[1]);
        assertEquals(-2f, bf16.values()[2]);
        ActivationBatch f16 = new ActivationBatch(ActivationFormat.F16, 1, 2);
        f16.encode(new float[] {1f + 0x1p-11f, 0.1f}, 0, 1);
        assertEquals(1f, f16.values()[0]);
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(0.1f)), f16.values()[1]);
    }

    @Test
    void encodesFromAnOffsetAndTracksRows() {
        float[] x = new float[5 + 2 * 32];
        x[5] = 1f;
        x[5 + 32] = -1f;
        ActivationBatch batch = new ActivationBatch(ActivationFormat.F32, 4, 32);
        batch.encode(x, 5, 2);
        assertEquals(2, batch.rows());
        assertEquals(1f, batch.values()[0]);
        assertEquals(-1f, batch.values()[32]);
    }

    @Test
    void rejectsBadShapes() {
        assertThrows(IllegalArgumentException.class, () -> new ActivationBatch(ActivationFormat.Q8_0, 1, 48));
        assertThrows(IllegalArgumentException.class, () -> new ActivationBatch(ActivationFormat.Q8_K, 1, 512 + 32));
        ActivationBatch batch = new ActivationBatch(ActivationFormat.F32, 2, 8);
        assertThrows(IllegalArgumentException.class, () -> batch.encode(new float[24], 0, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> batch.encode(new float[10], 0, 2));
    }
}
