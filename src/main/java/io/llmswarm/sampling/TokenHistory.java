package io.llmswarm.sampling;

/**
 * The most recent tokens of a session, kept in a fixed ring so that adding a token never
 * allocates. The repetition penalty reads it. To penalise as llama.cpp does, add the prompt's
 * tokens (BOS included) before the first sample, then each sampled token.
 */
public final class TokenHistory {

    private final int[] ring;
    private long added;

    /** A history that remembers the last {@code capacity} tokens. */
    public TokenHistory(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a token history needs a capacity >= 1, got " + capacity);
        }
        this.ring = new int[capacity];
    }

    /** A history holding these tokens, oldest first, with room for exactly them. */
    public static TokenHistory of(int... tokens) {
        TokenHistory history = new TokenHistory(Math.max(1, tokens.length));
        history.addAll(tokens);
        return history;
    }

    public void add(int token) {
        ring[(int) (added % ring.length)] = token;
        added++;
    }

    public void addAll(int[] tokens) {
        for (int token : tokens) {
            add(token);
        }
    }

    /** How many tokens are held (at most the capacity). */
    public int size() {
        return (int) Math.min(added, ring.length);
    }

    public int capacity() {
        return ring.length;
    }

    /** The token {@code back} steps before the newest: 0 is the newest. */
    public int recent(int back) {
        if (back < 0 || back >= size()) {
            throw new IndexOutOfBoundsException("history holds " + size() + " tokens, asked for " + back + " back");
        }
        return ring[(int) ((added - 1 - back) % ring.length)];
    }

    public void clear() {
        added = 0;
    }
}
