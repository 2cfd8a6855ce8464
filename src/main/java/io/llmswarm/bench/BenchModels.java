package io.llmswarm.bench;

import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.ModelMaker;
import io.llmswarm.gguf.ModelSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.function.Function;

/**
 * The benchmark's model files: models with seeded random weights, one per weight type, written
 * once into a cache folder and reused by later runs.
 */
final class BenchModels {

    /** The model shapes the benchmark knows. */
    enum Shape {
        /** TinyLlama 1.1B: 22 layers, 2048 wide, FFN 5632, 32 heads, 4 KV heads, vocab 32000. */
        TINYLLAMA("tinyllama-1.1b", ModelSpec::tinyLlama),
        /** Two small layers: checks the harness in seconds. */
        TINY("tiny", ModelSpec::tiny);

        private final String fileStem;
        private final Function<GgmlType, ModelSpec> spec;

        Shape(String fileStem, Function<GgmlType, ModelSpec> spec) {
            this.fileStem = fileStem;
            this.spec = spec;
        }

        static Shape byName(String name) {
            for (Shape shape : values()) {
                if (shape.name().equalsIgnoreCase(name)) {
                    return shape;
                }
            }
            throw new IllegalArgumentException("unknown shape '" + name + "'; expected tinyllama or tiny");
        }
    }

    private final Path directory;
    private final Shape shape;

    BenchModels(Path directory, Shape shape) {
        this.directory = directory;
        this.shape = shape;
    }

    Path fileFor(GgmlType type) {
        return directory.resolve(shape.fileStem + "-" + type.name().toLowerCase(Locale.ROOT) + ".gguf");
    }

    /** The file for {@code type}, written first if missing (under a temporary name, then moved). */
    Path ensure(GgmlType type) throws IOException {
        Path file = fileFor(type);
        if (Files.isRegularFile(file)) {
            return file;
        }
        Files.createDirectories(directory);
        Path partial = directory.resolve(file.getFileName() + ".partial");
        System.err.printf("writing %s (%s shape, %s weights)…%n", file, shape.name().toLowerCase(Locale.ROOT), type);
        long start = System.nanoTime();
        ModelMaker.write(shape.spec.apply(type), partial);
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.err.printf("wrote %s in %.0f s%n", file, (System.nanoTime() - start) / 1e9);
        return file;
    }
}
