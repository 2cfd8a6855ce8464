package io.llmswarm.bench;

import java.util.ArrayList;
import java.util.List;

/** An engine the benchmark runs in a child JVM, and how to start it there. */
public enum Backend {
    /** The project's Java engine, through the node's {@code generate} command. */
    JAVA("java", "io.llmswarm.cli.Main"),
    /** Native llama.cpp through java-llama.cpp, through the same {@code generate} command. */
    LLAMA_CPP("llama.cpp", "io.llmswarm.cli.Main");

    private final String label;
    private final String mainClass;

    Backend(String label, String mainClass) {
        this.label = label;
        this.mainClass = mainClass;
    }

    public String label() {
        return label;
    }

    /** The main class and its arguments that run {@code request} on this backend. */
    List<String> childArguments(GenerationRequest request) {
        List<String> arguments = new ArrayList<>();
        arguments.add(mainClass);
        arguments.addAll(List.of("generate", "--backend", label));
        arguments.addAll(request.generateArguments());
        return arguments;
    }

    /** The backend named {@code label} on the command line ({@code java}, {@code llama.cpp}). */
    public static Backend byLabel(String label) {
        for (Backend backend : values()) {
            if (backend.label.equalsIgnoreCase(label.trim())) {
                return backend;
            }
        }
        throw new IllegalArgumentException("unknown backend '" + label + "'; expected java or llama.cpp");
    }
}
