package io.llmswarm.engine.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector width every kernel uses, chosen once from the machine: the JVM's preferred shape
 * (512 bits with AVX-512, 256 with AVX2, 128 on ARM NEON and Apple silicon), or the width named by
 * the system property {@value #PROPERTY} (128, 256 or 512). A species wider than the hardware is
 * not compiled to SIMD instructions and runs many times slower, so the override is for tests and
 * measurements.
 *
 * <p>Packed weights interleave {@link #LANES} rows, one per float lane, so a kernel's lane count
 * is fixed when a model is loaded.
 */
public final class VectorWidth {
    /** Names the vector width in bits; unset means the machine's preferred width. */
    public static final String PROPERTY = "llmswarm.vector.bits";

    static final VectorSpecies<Float> FLOATS = choose(System.getProperty(PROPERTY));
    /** Float lanes per vector, and rows per packed group. */
    static final int LANES = FLOATS.length();

    /**
     * All of memory. Kernels read native weights through it by absolute address: its bounds check
     * is cheaper than a slice's. Offsets are safe because sizes were checked up front.
     */
    static final MemorySegment ALL_MEMORY = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private VectorWidth() {
    }

    /** The float species every kernel of the engine uses. */
    public static VectorSpecies<Float> floats() {
        return FLOATS;
    }

    /** Bits per vector that the kernels use. */
    public static int bits() {
        return FLOATS.vectorBitSize();
    }

    /** For logs and benchmark reports, e.g. {@code 512-bit vectors (16 floats)}. */
    public static String describe() {
        return bits() + "-bit vectors (" + LANES + " floats)";
    }

    static VectorSpecies<Float> choose(String requested) {
        if (requested == null || requested.isBlank()) {
            VectorSpecies<Float> preferred = FloatVector.SPECIES_PREFERRED;
            // A JVM without SIMD prefers 64 bits; the kernels need at least four lanes.
            return preferred.vectorBitSize() >= 128 ? preferred : FloatVector.SPECIES_128;
        }
        int bits;
        try {
            bits = Integer.parseInt(requested.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PROPERTY + " must be 128, 256 or 512, got '" + requested + "'", e);
        }
        if (bits != 128 && bits != 256 && bits != 512) {
            throw new IllegalArgumentException(PROPERTY + " must be 128, 256 or 512, got " + bits);
        }
        return VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
    }
}
