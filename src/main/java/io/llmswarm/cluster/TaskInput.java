package io.llmswarm.cluster;

/**
 * The tokens of one step and, for every shard after the first, the hidden states of those tokens
 * ({@code [tokens.length, width]}, row-major). The token ids travel to every shard: the first
 * embeds them, the last keeps them as the history its repetition penalty reads.
 *
 * <p>The first step of a session may start after a {@code prefix}: the token ids of positions
 * {@code [0, prefix.length)}, which every shard of the route takes from its prompt cache (the KV
 * of an earlier session that fed the same tokens) instead of computing them; the step's tokens
 * then start at position {@code prefix.length}. Empty for every other step.
 */
public record TaskInput(int[] tokens, float[] hidden, int width, int[] prefix) {

    private static final int[] NONE = new int[0];

    public TaskInput {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("a step needs at least one token");
        }
        if (hidden != null && (long) tokens.length * width != hidden.length) {
            throw new IllegalArgumentException("hidden states of shape [" + tokens.length + ", " + width
                    + "] need " + (long) tokens.length * width + " floats; got " + hidden.length);
        }
        prefix = prefix == null ? NONE : prefix;
    }

    /** A step that computes every position it needs (no cached prefix). */
    public TaskInput(int[] tokens, float[] hidden, int width) {
        this(tokens, hidden, width, NONE);
    }

    public static TaskInput tokens(int... tokens) {
        return new TaskInput(tokens, null, 0);
    }

    /** The same tokens and prefix with the hidden states a shard computed for the next one. */
    public TaskInput withHidden(float[] states, int stateWidth) {
        return new TaskInput(tokens, states, stateWidth, prefix);
    }

    /** The same input over arrays of its own (what local delivery hands a consumer). */
    public TaskInput copy() {
        return new TaskInput(tokens.clone(), hidden == null ? null : hidden.clone(), width, prefix.clone());
    }

    public boolean hasHidden() {
        return hidden != null;
    }

    public String inputType() {
        return hidden == null ? "tokens" : "hidden";
    }
}
