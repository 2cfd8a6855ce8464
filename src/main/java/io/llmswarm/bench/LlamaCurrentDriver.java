package io.llmswarm.bench;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How the {@code llama.cpp-current} backend runs the prebuilt llama.cpp of npm's
 * {@code @node-llama-cpp/linux-x64}: through node-llama-cpp under Node.js ({@code generate.mjs}), or
 * through {@code bench/llama-current/native/generate.c}, a small C program linked against the same
 * libraries, for machines without Node.js. Both take the same options and print the same JSON line.
 */
enum LlamaCurrentDriver {
    /** {@code node bench/llama-current/generate.mjs}. */
    NODE("node"),
    /** The compiled {@code generate.c}, with {@code LD_LIBRARY_PATH} at the libraries. */
    NATIVE("native");

    /** The word of {@code --llama-current-driver} that picks {@link #NODE} where {@code node} is on the PATH, else {@link #NATIVE}. */
    static final String AUTO = "auto";

    private final String label;

    LlamaCurrentDriver(String label) {
        this.label = label;
    }

    String label() {
        return label;
    }

    /**
     * The drivers {@code names} ask for ({@code node}, {@code native}, {@code auto}), in their order
     * and each once; {@code auto} is {@code node} when {@code nodeOnPath}, else {@code native}.
     */
    static List<LlamaCurrentDriver> resolve(List<String> names, boolean nodeOnPath) {
        List<LlamaCurrentDriver> drivers = new ArrayList<>();
        for (String name : names) {
            String word = name.trim().toLowerCase(Locale.ROOT);
            LlamaCurrentDriver driver = switch (word) {
                case "node" -> NODE;
                case "native" -> NATIVE;
                case AUTO -> nodeOnPath ? NODE : NATIVE;
                default -> throw new IllegalArgumentException(
                        "unknown llama.cpp-current driver '" + name + "'; expected node, native or auto");
            };
            if (!drivers.contains(driver)) {
                drivers.add(driver);
            }
        }
        if (drivers.isEmpty()) {
            throw new IllegalArgumentException("no llama.cpp-current driver given; expected node, native or auto");
        }
        return drivers;
    }

    /** Whether an executable {@code program} lies in one of the folders of {@code searchPath} (as {@code PATH}). */
    static boolean onPath(String program, String searchPath) {
        if (searchPath == null) {
            return false;
        }
        for (String folder : searchPath.split(File.pathSeparator)) {
            if (folder.isEmpty()) {
                continue;
            }
            try {
                Path candidate = Path.of(folder, program);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return true;
                }
            } catch (InvalidPathException e) {
                // not a folder name: skip it
            }
        }
        return false;
    }
}
