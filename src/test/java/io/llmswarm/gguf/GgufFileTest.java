package io.llmswarm.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GgufFileTest {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    /** Every metadata value type, then two F32 tensors holding 0,1,2,... */
    private static byte[] sample(int version, String name) {
        GgufBytes b = new GgufBytes().header(version, 2, 15);
        b.key("general.architecture", GgufValueType.STRING).str("llama");
        b.key("general.name", GgufValueType.STRING).str(name);
        b.key("u8", GgufValueType.UINT8).u8(250);
        b.key("i8", GgufValueType.INT8).u8(0xFE);
        b.key("u16", GgufValueType.UINT16).u16(65000);
        b.key("i16", GgufValueType.INT16).u16(-300);
        b.key("u32", GgufValueType.UINT32).u32(4_000_000_000L);
        b.key("i32", GgufValueType.INT32).u32(-7);
        b.key("f32", GgufValueType.FLOAT32).f32(1.5f);
        b.key("bool", GgufValueType.BOOL).u8(1);
        b.key("u64", GgufValueType.UINT64).u64(1L << 40);
        b.key("i64", GgufValueType.INT64).u64(-5);
        b.key("f64", GgufValueType.FLOAT64).f64(2.25);
        b.key("tokens", GgufValueType.ARRAY).u32(GgufValueType.STRING.id()).u64(3).str("<unk>").str("▁the").str("é");
        b.key("nested", GgufValueType.ARRAY).u32(GgufValueType.ARRAY.id()).u64(2)
                .u32(GgufValueType.INT32.id()).u64(2).u32(1).u32(2)
                .u32(GgufValueType.FLOAT32.id()).u64(1).f32(0.5f);
        b.tensor("a", GgmlType.F32, 0, 4, 2);
        b.tensor("b", GgmlType.F32, 32, 3);
        b.padTo(32);
        for (int i = 0; i < 8; i++) {
            b.f32(i);
        }
        b.f32(100).f32(101).f32(102);
        return b.bytes();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void readsEveryMetadataTypeOfVersions2And3(int version) throws IOException {
        try (GgufFile file = GgufFile.open(write("m.gguf", sample(version, "x")))) {
            GgufMetadata m = file.metadata();
            assertEquals(version, file.version());
            assertEquals("llama", m.getString("general.architecture"));
            assertEquals(250, m.getInt("u8"));
            assertEquals(-2, m.getInt("i8"));
            assertEquals(65000, m.getInt("u16"));
            assertEquals(-300, m.getInt("i16"));
            assertEquals(4_000_000_000L, m.getLong("u32"));
            assertEquals(-7, m.getInt("i32"));
            assertEquals(1.5f, m.getFloat("f32"));
            assertTrue(m.getBoolean("bool"));
            assertEquals(1L << 40, m.getLong("u64"));
            assertEquals(-5, m.getLong("i64"));
            assertEquals(2.25f, m.getFloat("f64"));
            assertEquals(-7f, m.getFloat("i32"));
            assertArrayEquals(new String[] {"<unk>", "▁the", "é"}, m.getStringArray("tokens"));
            GgufValue[] nested = (GgufValue[]) m.get("nested");
            assertArrayEquals(new int[] {1, 2}, (int[]) nested[0].value());
            assertArrayEquals(new float[] {0.5f}, (float[]) nested[1].value());
            assertEquals(GgufValueType.UINT32, m.value("u32").type());
            assertEquals(List.of("general.architecture", "general.name", "u8"), m.keys().stream().limit(3).toList());
            assertEquals(7, m.getIntOrDefault("missing", 7));
            assertTrue(m.findString("missing").isEmpty());
        }
    }

    @Test
    void readsTheTensorIndexAndMapsTensorDataWithoutCopying() throws IOException {
        try (GgufFile file = GgufFile.open(write("m.gguf", sample(3, "x")))) {
            assertEquals(32, file.alignment());
            assertEquals(0, file.dataOffset() % 32);
            assertEquals(List.of("a", "b"), List.copyOf(file.tensors().keySet()));
            TensorInfo a = file.tensor("a");
            assertArrayEquals(new long[] {4, 2}, a.shape());
            assertEquals(8, a.elementCount());
            assertEquals(32, a.byteSize());
            MemorySegment data = file.tensorData("a");
            assertEquals(32, data.byteSize());
            assertEquals(7f, data.getAtIndex(F32, 7));
            MemorySegment b = file.tensorData(file.tensor("b"));
            assertEquals(102f, b.getAtIndex(F32, 2));
            assertEquals(file.mapping().address() + file.dataOffset() + 32, b.address());
            assertTrue(file.findTensor("c").isEmpty());
        }
    }

    @Test
    void honoursACustomAlignment() throws IOException {
        GgufBytes b = new GgufBytes().header(3, 1, 1);
        b.key("general.alignment", GgufValueType.UINT32).u32(64);
        b.tensor("t", GgmlType.F32, 0, 2);
        b.padTo(64).f32(3).f32(4);
        try (GgufFile file = GgufFile.open(write("a.gguf", b.bytes()))) {
            assertEquals(64, file.alignment());
            assertEquals(0, file.dataOffset() % 64);
            assertEquals(4f, file.tensorData("t").getAtIndex(F32, 1));
        }
    }

    @Test
    void fingerprintCoversMetadataAndIndexButNotData() throws IOException {
        byte[] one = sample(3, "x");
        byte[] sameHeaderOtherData = one.clone();
        sameHeaderOtherData[one.length - 1] ^= 1;
        String f1;
        String f2;
        String f3;
        try (GgufFile a = GgufFile.open(write("1.gguf", one));
                GgufFile b = GgufFile.open(write("2.gguf", sameHeaderOtherData));
                GgufFile c = GgufFile.open(write("3.gguf", sample(3, "y")))) {
            f1 = a.fingerprint();
            f2 = b.fingerprint();
            f3 = c.fingerprint();
        }
        assertEquals(64, f1.length());
        assertEquals(f1, f2);
        assertNotEquals(f1, f3);
    }

    @Test
    void wrongOrMissingKeysNameFileKeyAndTypes() throws IOException {
        Path path = write("m.gguf", sample(3, "x"));
        try (GgufFile file = GgufFile.open(path)) {
            GgufException wrong = assertThrows(GgufException.class, () -> file.metadata().getInt("general.name"));
            assertMessage(wrong, path.toString(), "general.name", "integer", "STRING");
            GgufException tooBig = assertThrows(GgufException.class, () -> file.metadata().getInt("u32"));
            assertMessage(tooBig, "u32", "4000000000");
            GgufException missing = assertThrows(GgufException.class, () -> file.metadata().getString("nope"));
            assertMessage(missing, path.toString(), "nope", "missing");
            GgufException array = assertThrows(GgufException.class, () -> file.metadata().getStringArray("nested"));
            assertMessage(array, "ARRAY of STRING", "ARRAY of ARRAY");
            GgufException tensor = assertThrows(GgufException.class, () -> file.tensor("output.weight"));
            assertMessage(tensor, path.toString(), "output.weight");
        }
    }

    @Test
    void rejectsBadMagicShowingTheBytesFound() throws IOException {
        byte[] bytes = sample(3, "x");
        bytes[0] = 'P';
        bytes[1] = 'K';
        assertMessage(open("bad.gguf", bytes), "bad magic", "50 4B 55 46", "'PKUF'");
    }

    @Test
    void rejectsVersion1AndUnknownVersions() throws IOException {
        assertMessage(open("v1.gguf", sample(1, "x")), "version 1", "version 2 or 3");
        assertMessage(open("v9.gguf", sample(9, "x")), "version 9");
    }

    @Test
    void rejectsTruncatedHeaderAndTruncatedData() throws IOException {
        byte[] bytes = sample(3, "x");
        assertMessage(open("h.gguf", Arrays.copyOf(bytes, 60)), "truncated");
        assertMessage(open("d.gguf", Arrays.copyOf(bytes, bytes.length - 4)), "truncated", "'b'",
                "beyond the end");
        assertMessage(open("e.gguf", new byte[0]), "too short");
    }

    @Test
    void rejectsUnknownTensorTypeAndValueType() throws IOException {
        GgufBytes t = new GgufBytes().header(3, 1, 0);
        t.str("t").u32(1).u64(32).u32(99).u64(0).padTo(32).raw(new byte[128]);
        assertMessage(open("t.gguf", t.bytes()), "'t'", "unknown tensor type", "99");
        GgufBytes v = new GgufBytes().header(3, 0, 1);
        v.str("k").u32(13).u32(0);
        assertMessage(open("v.gguf", v.bytes()), "'k'", "unknown metadata value type", "13");
    }

    @Test
    void rejectsMisalignedOffsetsAndDuplicateNames() throws IOException {
        GgufBytes m = new GgufBytes().header(3, 1, 0);
        m.tensor("t", GgmlType.F32, 4, 2).padTo(32).raw(new byte[64]);
        assertMessage(open("m.gguf", m.bytes()), "'t'", "misaligned", "4");
        GgufBytes d = new GgufBytes().header(3, 2, 0);
        d.tensor("t", GgmlType.F32, 0, 2).tensor("t", GgmlType.F32, 32, 2).padTo(32).raw(new byte[64]);
        assertMessage(open("d.gguf", d.bytes()), "duplicate tensor name 't'");
    }

    @Test
    void rejectsAbsurdCountsWithoutAllocating() throws IOException {
        GgufBytes b = new GgufBytes().header(3, 0, 1);
        b.key("a", GgufValueType.ARRAY).u32(GgufValueType.FLOAT32.id()).u64(1L << 40);
        assertMessage(open("big.gguf", b.bytes()), "'a'", "too large");
    }

    @Test
    void mapsFilesLargerThan2GiBWithoutTouchingTensorPages() throws IOException {
        long padElements = 700L << 20; // 2.8 GB of F32 before the tensor we read
        GgufBytes b = new GgufBytes().header(3, 2, 0);
        b.tensor("pad", GgmlType.F32, 0, padElements);
        b.tensor("tail", GgmlType.F32, padElements * 4, 4);
        b.padTo(32);
        Path path = write("big.gguf", b.bytes());
        long tailStart = b.size() + padElements * 4;
        try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
            raf.setLength(tailStart + 16); // sparse: the padding costs no disk
            raf.seek(tailStart);
            raf.write(new byte[] {0, 0, (byte) 0x80, 0x3f}); // 1.0f little-endian
        }
        long residentBefore = residentBytes();
        try (GgufFile file = GgufFile.open(path)) {
            file.tensorData("pad"); // a slice only: no page is touched
            long residentGrowth = residentBytes() - residentBefore;
            assertTrue(residentGrowth < (64L << 20), "opening made " + residentGrowth + " bytes resident");
            assertTrue(file.fileSize() > (2L << 30));
            MemorySegment tail = file.tensorData("tail");
            assertEquals(1.0f, tail.getAtIndex(F32, 0));
            assertEquals(0f, tail.getAtIndex(F32, 3));
        }
    }

    /** VmRSS of this process from /proc (Linux). */
    private static long residentBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    private GgufException open(String name, byte[] bytes) throws IOException {
        Path path = write(name, bytes);
        GgufException e = assertThrows(GgufException.class, () -> GgufFile.open(path).close());
        assertTrue(e.getMessage().startsWith(path.toString()), e.getMessage());
        return e;
    }

    private static void assertMessage(GgufException e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "'" + part + "' not in: " + e.getMessage());
        }
        assertFalse(e.getMessage().isBlank());
    }
}
