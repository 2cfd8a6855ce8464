package io.llmswarm.engine;

/**
 * What leaves a shard: hidden states {@code [rows, width]} for the next shard, or, from the shard
 * that holds the output head, logits {@code [rows, vocabulary]} — for the last token only unless
 * all were asked for.
 */
public record ForwardResult(Kind kind, float[] data, int rows, int width) {

    public enum Kind { HIDDEN, LOGITS }

    /** Row {@code r} copied out. */
    public float[] row(int r) {
        float[] out = new float[width];
        System.arraycopy(data, r * width, out, 0, width);
        return out;
    }

    /** The last row, e.g. the logits that choose the next token. */
    public float[] lastRow() {
        return row(rows - 1);
    }
}
