package io.llmswarm.cluster;

/**
 * The tokens of one step and, for every shard after the first, the hidden states of those tokens
 * ({@code [tokens.length, width]}, row-major). The token ids travel to every shard: the first
 * embeds them, the last keeps them as the history its repetition penalty reads.
 */
public record TaskInput(int[] tokens, float[] hidden, int width) {

    public TaskInput {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("a step needs at least one token");
        }
        if (hidden != null && (long) tokens.length * width != hidden.length) {
            throw new IllegalArgumentException("hidden states of shape [" + tokens.length + ", " + width
                    + "] need " + (long) tokens.length * width + " floats; got " + hidden.length);
        }
    }

    public static TaskInput tokens(int... tokens) {
        return new TaskInput(tokens, null, 0);
    }

    /** The same input over arrays of its own (what local delivery hands a consumer). */
    public TaskInput copy() {
        return new TaskInput(tokens.clone(), hidden == null ? null : hidden.clone(), width);
    }

    public boolean hasHidden() {
        return hidden != null;
    }

    public String inputType() {
        return hidden == null ? "tokens" : "hidden";
    }
}
