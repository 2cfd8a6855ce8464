package io.llmswarm.bench;

import java.util.ArrayList;
import java.util.List;

/** An engine the benchmark runs in a child process, and how to start it there. */
public enum Backend {
    /** The project's Java engine, through the node's {@code generate} command. */
    JAVA("java", Process.JVM),
    /** llama.cpp b4916 through java-llama.cpp 4.2.0 (built for AVX2), through the same {@code generate} command. */
    LLAMA_CPP("llama.cpp", Process.JVM),
    /**
     * The current llama.cpp through npm's node-llama-cpp and its prebuilt CPU binaries, which pick
     * the best variant for the processor at run time (AVX-512 where there is one): a Node.js script
     * that takes {@code generate}'s options and prints the same JSON line, or, as its
     * {@link LlamaCurrentDriver driver} says, a C program on the same libraries that does the same.
     */
    LLAMA_CPP_CURRENT("llama.cpp-current", Process.NODE);

    /** What a backend's child process is. */
    enum Process {
        /** A JVM with the parent's options and class path running {@code io.llmswarm.cli.Main generate}. */
        JVM,
        /** {@code node} running {@link #NODE_SCRIPT} in the node-llama-cpp package folder. */
        NODE,
        /** The compiled {@code bench/llama-current/native/generate.c} (llama.cpp-current's native driver). */
        NATIVE
    }

    /** The main class a JVM child runs. */
    static final String MAIN_CLASS = "io.llmswarm.cli.Main";
    /** The script of the llama.cpp-current backend, in its package folder ({@code bench/llama-current}). */
    static final String NODE_SCRIPT = "generate.mjs";

    private final String label;
    private final Process process;

    Backend(String label, Process process) {
        this.label = label;
        this.process = process;
    }

    public String label() {
        return label;
    }

    Process process() {
        return process;
    }

    /** Whether this is one of the llama.cpp builds the Java engine is measured against. */
    boolean isLlamaCpp() {
        return this != JAVA;
    }

    /**
     * What follows the program ({@code java} and its options, {@code node} and its script, or the native driver) on
     * the child's command line to run {@code request} on this backend: for a JVM the main class and
     * {@code generate}'s arguments, for the script the same request options.
     */
    List<String> childArguments(GenerationRequest request) {
        List<String> arguments = new ArrayList<>();
        if (process == Process.JVM) {
            arguments.addAll(List.of(MAIN_CLASS, "generate", "--backend", label));
        }
        arguments.addAll(request.generateArguments());
        return arguments;
    }

    /** The backend named {@code label} on the command line ({@code java}, {@code llama.cpp}, {@code llama.cpp-current}). */
    public static Backend byLabel(String label) {
        for (Backend backend : values()) {
            if (backend.label.equalsIgnoreCase(label.trim())) {
                return backend;
            }
        }
        throw new IllegalArgumentException("unknown backend '" + label + "'; expected java, llama.cpp or llama.cpp-current");
    }
}
