package io.llmswarm.cli;

import java.util.Locale;

/**
 * How a node runs its model: {@code java} (the Java engine, a span of layers) or {@code llamacpp}
 * (the whole model in llama.cpp, a replica), with llama.cpp's context size (0: the model's,
 * capped at 4096, per slot) and its number of parallel slots, which is the replica's concurrency limit.
 */
public record BackendSettings(String name, int contextSize, int parallel) {

    /**
     * llama.cpp slots of a replica unless told: four users at once (llama.cpp's server has the same
     * default); each slot holds a KV cache of its own context, so memory grows with it.
     */
    public static final int DEFAULT_PARALLEL = 4;

    public BackendSettings {
        name = normalise(name);
        if (contextSize < 0) {
            throw new IllegalArgumentException("ctx_size must be 0 (the model's) or positive; got " + contextSize);
        }
        if (parallel < 1) {
            throw new IllegalArgumentException("parallel must be at least 1; got " + parallel);
        }
    }

    public static BackendSettings java() {
        return new BackendSettings("java", 0, 1);
    }

    public boolean isLlamaCpp() {
        return name.equals("llamacpp");
    }

    /** {@code java}, or {@code llamacpp} however spelled ({@code llama.cpp}, {@code llama-cpp}). */
    static String normalise(String backend) {
        String key = backend == null ? "java" : backend.toLowerCase(Locale.ROOT).replace(".", "").replace("-", "");
        return switch (key) {
            case "java", "llamacpp" -> key;
            default -> throw new IllegalArgumentException("backend must be java or llamacpp; got '" + backend + "'");
        };
    }
}
