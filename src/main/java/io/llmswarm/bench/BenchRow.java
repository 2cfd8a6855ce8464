package io.llmswarm.bench;

import io.llmswarm.gguf.GgmlType;

/**
 * One line of the benchmark: a weight type on a backend (for the Java engine, one of its
 * variants). {@code shortPrompt} is the run after the shortest prompt (time to first token,
 * decode speed), {@code longPrompt} the run after the longest (prompt speed); either is null when
 * that run failed, and then {@code error} says why.
 */
record BenchRow(GgmlType type, Contender contender, ModelWeights weights,
                GenerationResult shortPrompt, GenerationResult longPrompt, String error) {

    Backend backend() {
        return contender.backend();
    }

    boolean succeeded() {
        return shortPrompt != null && longPrompt != null;
    }

    double peakRssMib() {
        return Math.max(shortPrompt.peakRssMib(), longPrompt.peakRssMib());
    }
}
