package io.llmswarm.tokenizer;

import java.util.Objects;

/**
 * A tokenizer's vocabulary as GGUF metadata describes it.
 *
 * @param model        {@code tokenizer.ggml.model}: "llama" (SentencePiece) or "gpt2" (byte-level BPE)
 * @param preTokenizer {@code tokenizer.ggml.pre}: "default", "llama-bpe"/"llama3", "qwen2", "gpt-2", ...
 * @param tokens       token texts, indexed by id
 * @param scores       SentencePiece scores (may be null for BPE)
 * @param tokenTypes   {@link TokenType} per token (may be null: all normal)
 * @param merges       BPE merges "left right" in rank order (null for SentencePiece)
 */
public record Vocabulary(String model, String preTokenizer, String[] tokens, float[] scores,
                         int[] tokenTypes, String[] merges, SpecialTokens specialTokens) {

    public static final String SENTENCE_PIECE = "llama";
    public static final String BYTE_PAIR = "gpt2";

    public Vocabulary {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(specialTokens, "specialTokens");
        if (preTokenizer == null || preTokenizer.isEmpty()) {
            preTokenizer = "default";
        }
        if (!model.equals(SENTENCE_PIECE) && !model.equals(BYTE_PAIR)) {
            throw new IllegalArgumentException("tokenizer model: expected \"llama\" or \"gpt2\", found \"" + model + "\"");
        }
        requireLength("scores", scores, tokens.length);
        requireLength("token types", tokenTypes, tokens.length);
        if (model.equals(BYTE_PAIR) && merges == null) {
            throw new IllegalArgumentException("a gpt2 (BPE) vocabulary needs merges, found none");
        }
    }

    private static void requireLength(String what, Object array, int expected) {
        if (array == null) {
            return;
        }
        int length = array instanceof float[] f ? f.length : ((int[]) array).length;
        if (length != expected) {
            throw new IllegalArgumentException(what + ": expected " + expected + " entries (one per token), found " + length);
        }
    }

    public int size() {
        return tokens.length;
    }

    public int tokenType(int id) {
        return tokenTypes == null ? TokenType.NORMAL : tokenTypes[id];
    }

    public float score(int id) {
        return scores == null ? 0f : scores[id];
    }
}
