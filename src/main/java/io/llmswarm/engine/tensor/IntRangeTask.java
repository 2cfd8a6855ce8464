package io.llmswarm.engine.tensor;

/** A piece of parallel work over the index range {@code [start, end)}. */
@FunctionalInterface
public interface IntRangeTask {
    void run(int start, int end);
}
