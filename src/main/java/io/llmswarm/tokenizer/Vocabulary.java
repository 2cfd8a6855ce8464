package io.llmswarm.tokenizer;

import io.llmswarm.gguf.GgufMetadata;
import java.util.Objects;
import java.util.Set;

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

    /** Pre-tokenizers for which llama.cpp adds BOS when the file does not say. */
    private static final Set<String> BPE_ADDS_BOS = Set.of("llama3", "llama-v3", "llama-bpe", "falcon3", "tekken", "chameleon");

    /**
     * The vocabulary of a GGUF file, with llama.cpp's defaults for what the file leaves out
     * (SentencePiece: BOS 1, EOS 2, unknown 0, add BOS, add a space prefix; BPE: BOS = EOS = 11,
     * BOS added only for the Llama 3 family of pre-tokenizers).
     */
    public static Vocabulary fromGguf(GgufMetadata metadata) {
        String model = metadata.getString("tokenizer.ggml.model");
        String pre = metadata.getStringOrDefault("tokenizer.ggml.pre", "default");
        String[] tokens = metadata.getStringArray("tokenizer.ggml.tokens");
        float[] scores = metadata.getFloatArrayOrDefault("tokenizer.ggml.scores", null);
        int[] types = metadata.getIntArrayOrDefault("tokenizer.ggml.token_type", null);
        String[] merges = metadata.getStringArrayOrDefault("tokenizer.ggml.merges", null);
        boolean sentencePiece = SENTENCE_PIECE.equals(model);
        SpecialTokens defaults = sentencePiece ? SpecialTokens.sentencePieceDefaults()
                : new SpecialTokens(11, 11, -1, -1, BPE_ADDS_BOS.contains(pre), false, false);
        SpecialTokens special = new SpecialTokens(
                tokenId(metadata, "tokenizer.ggml.bos_token_id", defaults.bos(), tokens.length),
                tokenId(metadata, "tokenizer.ggml.eos_token_id", defaults.eos(), tokens.length),
                tokenId(metadata, "tokenizer.ggml.unknown_token_id", defaults.unknown(), tokens.length),
                tokenId(metadata, "tokenizer.ggml.padding_token_id", defaults.padding(), tokens.length),
                metadata.getBooleanOrDefault("tokenizer.ggml.add_bos_token", defaults.addBos()),
                metadata.getBooleanOrDefault("tokenizer.ggml.add_eos_token", defaults.addEos()),
                metadata.getBooleanOrDefault("tokenizer.ggml.add_space_prefix", defaults.addSpacePrefix()));
        return new Vocabulary(model, pre, tokens, scores, types, merges, special);
    }

    /** An id outside the vocabulary keeps the default, as llama.cpp does (it warns). */
    private static int tokenId(GgufMetadata metadata, String key, int fallback, int vocabularySize) {
        long id = metadata.getLongOrDefault(key, fallback);
        return id >= 0 && id < vocabularySize ? (int) id : fallback;
    }

    /**
     * The writer-side record of the gguf package (what {@code ModelMaker} puts into a model file),
     * with the same tokens and settings.
     *
     * @param chatTemplate stored as {@code tokenizer.chat_template}, or null
     */
    public io.llmswarm.gguf.Vocabulary toGgufVocabulary(String chatTemplate) {
        return new io.llmswarm.gguf.Vocabulary(model, preTokenizer, tokens, scores, tokenTypes, merges,
                specialTokens.bos(), specialTokens.eos(), specialTokens.unknown(), specialTokens.padding(),
                specialTokens.addBos(), specialTokens.addEos(), chatTemplate);
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
