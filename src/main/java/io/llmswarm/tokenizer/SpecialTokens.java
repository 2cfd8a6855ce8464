package io.llmswarm.tokenizer;

/**
 * Ids of the special tokens and the flags that decide what {@link Tokenizer#encode} adds.
 * An absent id is -1.
 *
 * @param addSpacePrefix SentencePiece vocabularies prefix the text with a space (llama.cpp's
 *                       {@code tokenizer.ggml.add_space_prefix}, true by default for {@code llama})
 */
public record SpecialTokens(int bos, int eos, int unknown, int padding,
                            boolean addBos, boolean addEos, boolean addSpacePrefix) {

    /** llama.cpp's defaults for a {@code llama} (SentencePiece) vocabulary. */
    public static SpecialTokens sentencePieceDefaults() {
        return new SpecialTokens(1, 2, 0, -1, true, false, true);
    }

    public SpecialTokens withBos(int id) {
        return new SpecialTokens(id, eos, unknown, padding, addBos, addEos, addSpacePrefix);
    }

    public SpecialTokens withEos(int id) {
        return new SpecialTokens(bos, id, unknown, padding, addBos, addEos, addSpacePrefix);
    }

    public SpecialTokens withAddBos(boolean add) {
        return new SpecialTokens(bos, eos, unknown, padding, add, addEos, addSpacePrefix);
    }
}
