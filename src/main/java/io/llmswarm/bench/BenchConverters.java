package io.llmswarm.bench;

import io.llmswarm.gguf.GgmlType;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.Locale;

/** Reads the benchmark's option values, so that a wrong one is a usage error naming it. */
final class BenchConverters {

    private BenchConverters() {
    }

    /** Shape names: {@code tinyllama}, {@code tiny}. */
    static final class Shapes implements ITypeConverter<BenchModels.Shape> {
        @Override
        public BenchModels.Shape convert(String name) {
            try {
                return BenchModels.Shape.byName(name);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** Backend labels: {@code java}, {@code llama.cpp}, {@code llama.cpp-current}. */
    static final class Backends implements ITypeConverter<Backend> {
        @Override
        public Backend convert(String label) {
            try {
                return Backend.byLabel(label);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** Weight type names in any case ({@code q8_0}, {@code Q4_K}). */
    static final class WeightTypes implements ITypeConverter<GgmlType> {
        @Override
        public GgmlType convert(String name) {
            try {
                return GgmlType.valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(
                        "unknown weight type '" + name + "'; expected e.g. Q8_0, Q4_0, Q4_K, Q6_K, F16");
            }
        }
    }
}
