package io.llmswarm.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VectorWidthTest {

    @Test
    void theMachinesPreferredWidthUnlessOneIsNamed() {
        int preferred = Math.max(128, FloatVector.SPECIES_PREFERRED.vectorBitSize());
        assertEquals(preferred, VectorWidth.choose(null).vectorBitSize());
        assertEquals(preferred, VectorWidth.choose(" ").vectorBitSize());
        assertEquals(128, VectorWidth.choose("128").vectorBitSize());
        assertEquals(256, VectorWidth.choose("256").vectorBitSize());
        assertEquals(512, VectorWidth.choose(" 512 ").vectorBitSize());
    }

    @Test
    void otherWidthsAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VectorWidth.choose("64"));
        assertEquals("llmswarm.vector.bits must be 128, 256 or 512, got 64", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> VectorWidth.choose("wide"));
    }

    @Test
    void packedGroupsHaveOneRowPerFloatLane() {
        assertEquals(VectorWidth.bits() / 32, PackedMatrix.L);
        assertEquals(VectorWidth.describe(), VectorWidth.bits() + "-bit vectors (" + PackedMatrix.L + " floats)");
    }
}
