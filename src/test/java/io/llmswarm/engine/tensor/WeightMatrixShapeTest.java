package io.llmswarm.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmswarm.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class WeightMatrixShapeTest {

    @Test
    void rejectsUnsupportedTypeWithTheSupportedList() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(GgmlType.Q2_K.byteSize(256));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WeightMatrix.of(GgmlType.Q2_K, data, 1, 256));
            assertTrue(e.getMessage().contains("Q2_K") && e.getMessage().contains("Q4_K"), e.getMessage());
        }
    }

    @Test
    void rejectsSegmentOfTheWrongSize() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(34 * 2 + 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WeightMatrix.of(GgmlType.Q8_0, data, 2, 32));
            assertTrue(e.getMessage().contains("68") && e.getMessage().contains("69"), e.getMessage());
        }
    }

    @Test
    void rejectsRowsThatAreNotWholeBlocks() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(1024);
            assertThrows(IllegalArgumentException.class, () -> WeightMatrix.of(GgmlType.Q4_K, data, 1, 128));
        }
    }

    @Test
    void rejectsActivationsOfTheWrongFormatOrWidth() {
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix w = WeightMatrix.of(GgmlType.Q4_0, RandomWeights.matrix(arena, GgmlType.Q4_0, 4, 64, 1), 4, 64);
            assertEquals(ActivationFormat.Q8_0, w.activationFormat());
            float[] out = new float[4];
            ActivationBatch wrongFormat = new ActivationBatch(ActivationFormat.F32, 1, 64);
            assertThrows(IllegalArgumentException.class, () -> w.multiply(wrongFormat, out, 4, 0, 4));
            ActivationBatch wrongWidth = new ActivationBatch(ActivationFormat.Q8_0, 1, 32);
            assertThrows(IllegalArgumentException.class, () -> w.multiply(wrongWidth, out, 4, 0, 4));
        }
    }

    /** A row table reads the file in place: once that memory is gone, reading a row fails cleanly. */
    @Test
    void aRowTableRefusesToReadReleasedMemory() {
        Arena arena = Arena.ofConfined();
        RowTable table = WeightMatrix.rowTable(GgmlType.Q8_0, RandomWeights.matrix(arena, GgmlType.Q8_0, 2, 64, 1), 2, 64);
        float[] row = new float[64];
        table.dequantizeRow(1, row, 0);
        arena.close();
        assertThrows(IllegalStateException.class, () -> table.dequantizeRow(1, row, 0));
    }

    /** Packed weights are a copy: the file's memory may go, the packed arena's may not. */
    @Test
    void packedWeightsOutliveTheirSourceButNotTheirArena() {
        Arena source = Arena.ofConfined();
        Arena packedArena = Arena.ofConfined();
        WeightMatrix w = WeightMatrix.of(GgmlType.Q8_0, RandomWeights.matrix(source, GgmlType.Q8_0, 2, 32, 1), 2, 32,
                packedArena);
        assertEquals(true, w.packedBytes() > 0);
        ActivationBatch x = new ActivationBatch(ActivationFormat.Q8_0, 1, 32);
        x.encode(RandomWeights.activations(1, 32, 3), 0, 1);
        float[] before = new float[2];
        w.multiply(x, before, 2, 0, 2);
        source.close();
        float[] after = new float[2];
        w.multiply(x, after, 2, 0, 2);
        assertArrayEquals(before, after);
        packedArena.close();
        assertThrows(IllegalStateException.class, () -> w.multiply(x, new float[2], 2, 0, 2));
    }

    @Test
    void heapSegmentsWorkToo() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nativeData = RandomWeights.matrix(arena, GgmlType.Q6_K, 3, 256, 9);
            MemorySegment heapData = MemorySegment.ofArray(nativeData.toArray(ValueLayout.JAVA_BYTE));
            ActivationBatch x = new ActivationBatch(ActivationFormat.Q8_K, 1, 256);
            x.encode(RandomWeights.activations(1, 256, 2), 0, 1);
            float[] a = new float[3];
            float[] b = new float[3];
            WeightMatrix.of(GgmlType.Q6_K, nativeData, 3, 256).multiply(x, a, 3, 0, 3);
            WeightMatrix.of(GgmlType.Q6_K, heapData, 3, 256).multiply(x, b, 3, 0, 3);
            assertEquals(a[0], b[0]);
            assertEquals(a[2], b[2]);
        }
    }
}
