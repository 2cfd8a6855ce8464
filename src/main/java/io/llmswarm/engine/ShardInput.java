package io.llmswarm.engine;

/** What enters a shard: token ids (first shard) or hidden states from the previous shard. */
public sealed interface ShardInput {

    int tokenCount();

    /** Token ids, looked up in the embedding table. */
    record Tokens(int[] ids) implements ShardInput {
        @Override
        public int tokenCount() {
            return ids.length;
        }
    }

    /** Hidden states {@code [tokenCount, width]}, row-major. */
    record Hidden(float[] states, int tokenCount, int width) implements ShardInput {
        public Hidden {
            if ((long) tokenCount * width != states.length) {
                throw new IllegalArgumentException("hidden states of shape [" + tokenCount + ", " + width
                        + "] need " + (long) tokenCount * width + " floats; got " + states.length);
            }
        }
    }

    /**
     * Hidden states a shard cannot take: the wrong width, or NaN/infinite values. The fault is the
     * sender's (the shard before), not the one that refuses them.
     */
    final class InvalidHiddenStatesException extends IllegalArgumentException {
        public InvalidHiddenStatesException(String message) {
            super(message);
        }
    }

    static ShardInput tokens(int... ids) {
        return new Tokens(ids);
    }
}
