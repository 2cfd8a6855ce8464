package io.llmswarm.engine;

/** How rotary position embedding pairs the dimensions of a head, as llama.cpp names it. */
public enum RopeStyle {
    /** Adjacent pairs (x[2i], x[2i+1]): llama, mistral. */
    NORMAL,
    /** Halves (x[i], x[i + d/2]): qwen2 and other GPT-NeoX-style models. */
    NEOX
}
