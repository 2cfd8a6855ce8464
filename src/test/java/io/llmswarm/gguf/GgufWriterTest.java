package io.llmswarm.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GgufWriterTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void everyMetadataTypeReadsBackAsWritten(int version) {
        GgufValue nested = GgufValue.array(GgufValueType.ARRAY, new GgufValue[] {
            GgufValue.array(GgufValueType.INT32, new int[] {1, -2}),
            GgufValue.array(GgufValueType.STRING, new String[] {"a", "ü"})});
        GgufWriter writer = new GgufWriter().version(version)
                .putString("s", "▁hello")
                .putUInt8("u8", 255).putInt8("i8", -128)
                .putUInt16("u16", 65535).putInt16("i16", -32768)
                .putUInt32("u32", 0xFFFF_FFFFL).putInt32("i32", Integer.MIN_VALUE)
                .putUInt64("u64", -1L).putInt64("i64", Long.MIN_VALUE)
                .putFloat32("f32", 0.1f).putFloat64("f64", Math.PI).putBool("b", true).putBool("nb", false)
                .putStringArray("sa", "<unk>", "", "日本")
                .putFloatArray("fa", 1.5f, -0f, Float.NaN)
                .putInt32Array("ia", 3, 2, 1)
                .putUInt32Array("ua", 0xFFFF_FFFFL, 0)
                .putBoolArray("ba", true, false)
                .put("i16a", GgufValue.array(GgufValueType.INT16, new int[] {-5, 7}))
                .put("u64a", GgufValue.array(GgufValueType.UINT64, new long[] {1L << 50}))
                .put("f64a", GgufValue.array(GgufValueType.FLOAT64, new double[] {2.5}))
                .put("empty", GgufValue.array(GgufValueType.STRING, new String[0]))
                .put("nested", nested);
        Path path = dir.resolve("m.gguf");
        writer.write(path);
        try (GgufFile file = GgufFile.open(path)) {
            GgufMetadata m = file.metadata();
            assertEquals(version, file.version());
            assertEquals(List.of("s", "u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64", "b", "nb",
                    "sa", "fa", "ia", "ua", "ba", "i16a", "u64a", "f64a", "empty", "nested"), List.copyOf(m.keys()));
            assertEquals("▁hello", m.getString("s"));
            assertEquals(255, m.getInt("u8"));
            assertEquals(-128, m.getInt("i8"));
            assertEquals(65535, m.getInt("u16"));
            assertEquals(-32768, m.getInt("i16"));
            assertEquals(0xFFFF_FFFFL, m.getLong("u32"));
            assertEquals(Integer.MIN_VALUE, m.getInt("i32"));
            assertEquals(-1L, m.get("u64"));
            assertThrows(GgufException.class, () -> m.getLong("u64")); // 2^64-1 is no signed long
            assertEquals(Long.MIN_VALUE, m.getLong("i64"));
            assertEquals(0.1f, m.getFloat("f32"));
            assertEquals(Math.PI, (Double) m.get("f64"));
            assertTrue(m.getBoolean("b"));
            assertEquals(false, m.getBoolean("nb"));
            assertArrayEquals(new String[] {"<unk>", "", "日本"}, m.getStringArray("sa"));
            assertArrayEquals(new float[] {1.5f, -0f, Float.NaN}, m.getFloatArray("fa"));
            assertArrayEquals(new int[] {3, 2, 1}, m.getIntArray("ia"));
            assertArrayEquals(new long[] {0xFFFF_FFFFL, 0}, (long[]) m.get("ua"));
            assertArrayEquals(new boolean[] {true, false}, (boolean[]) m.get("ba"));
            assertArrayEquals(new int[] {-5, 7}, m.getIntArray("i16a"));
            assertEquals(GgufValueType.INT16, m.value("i16a").elementType());
            assertArrayEquals(new long[] {1L << 50}, (long[]) m.get("u64a"));
            assertArrayEquals(new double[] {2.5}, (double[]) m.get("f64a"));
            assertEquals(0, m.getStringArray("empty").length);
            assertEquals(nested, m.value("nested"));
            assertEquals(GgufValueType.UINT32, m.value("u32").type());
            assertEquals(GgufValueType.UINT64, m.value("u64").type());
            assertEquals(GgufValueType.INT8, m.value("i8").type());
        }
    }

    @Test
    void everyTensorTypeReadsBackWithItsShapeAndBytes() {
        Random random = new Random(5);
        GgmlType[] types = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1,
            GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q8_K};
        GgufWriter writer = new GgufWriter();
        float[][] values = new float[types.length][];
        for (int t = 0; t < types.length; t++) {
            values[t] = new float[256 * 3];
            for (int i = 0; i < values[t].length; i++) {
                values[t][i] = (float) random.nextGaussian();
            }
            writer.addTensor("t." + types[t], types[t], new long[] {256, 3}, values[t]);
        }
        byte[] raw = {1, 2, 3, 4, 5, 6, 7, 8};
        writer.addTensor("raw", GgmlType.I8, new long[] {8}, raw);
        Path path = dir.resolve("t.gguf");
        writer.write(path);
        try (GgufFile file = GgufFile.open(path)) {
            assertEquals(types.length + 1, file.tensors().size());
            for (int t = 0; t < types.length; t++) {
                TensorInfo info = file.tensor("t." + types[t]);
                assertEquals(types[t], info.type());
                assertArrayEquals(new long[] {256, 3}, info.shape());
                assertEquals(0, info.offset() % 32);
                byte[] stored = file.tensorData(info).toArray(ValueLayout.JAVA_BYTE);
                assertArrayEquals(Quantizer.quantize(types[t], values[t]), stored, types[t].name());
            }
            assertArrayEquals(raw, file.tensorData("raw").toArray(ValueLayout.JAVA_BYTE));
            assertEquals(file.dataOffset() + file.tensor("raw").offset() + 32, file.fileSize()); // last tensor padded
        }
    }

    @Test
    void lazyTensorsAreMadeOnlyWhileWritingInFileOrder() {
        AtomicInteger made = new AtomicInteger();
        GgufWriter writer = new GgufWriter().alignment(64);
        for (int i = 0; i < 3; i++) {
            float fill = i;
            writer.addTensor("t" + i, GgmlType.F16, new long[] {32, 2}, () -> {
                assertEquals(fill, made.getAndIncrement()); // in file order, each once
                float[] v = new float[64];
                Arrays.fill(v, fill);
                return v;
            });
        }
        assertEquals(0, made.get());
        Path path = dir.resolve("lazy.gguf");
        writer.write(path);
        assertEquals(3, made.get());
        try (GgufFile file = GgufFile.open(path)) {
            assertEquals(64, file.alignment());
            assertEquals(0, file.dataOffset() % 64);
            float[] back = new float[64];
            Quantizer.dequantize(GgmlType.F16, file.tensorData("t2"), 0, back, 0, 64);
            assertEquals(2f, back[63]);
        }
    }

    @Test
    void rejectsBadTensorsClearly() {
        GgufWriter writer = new GgufWriter();
        writer.addTensor("a", GgmlType.F32, new long[] {4}, new float[4]);
        assertThrows(IllegalArgumentException.class, () -> writer.addTensor("a", GgmlType.F32, new long[] {4}, new float[4]));
        assertThrows(IllegalArgumentException.class, () -> writer.addTensor("q", GgmlType.Q4_K, new long[] {128}, new float[128]));
        writer.addTensor("short", GgmlType.F32, new long[] {4}, new byte[12]);
        Path path = dir.resolve("bad.gguf");
        GgufException e = assertThrows(GgufException.class, () -> writer.write(path));
        assertTrue(e.getMessage().contains("'short'") && e.getMessage().contains("16 bytes")
                && e.getMessage().contains("12 bytes"), e.getMessage());
    }
}
