package io.llmswarm.gguf;

import java.util.Objects;

/**
 * A tokenizer as GGUF stores it under {@code tokenizer.ggml.*}.
 *
 * @param model "llama" (SentencePiece) or "gpt2" (byte-level BPE)
 * @param pre the BPE pre-tokenizer name ({@code tokenizer.ggml.pre}, e.g. "llama-bpe"), or null
 * @param tokens the pieces by id
 * @param scores a score per token (SentencePiece merges prefer higher), or null
 * @param tokenTypes a type per token (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused,
 *     6 byte), or null
 * @param merges BPE merges "a b" in rank order, or null
 * @param bos the beginning-of-sequence id, -1 for none
 * @param eos the end-of-sequence id, -1 for none
 * @param unk the unknown-token id, -1 for none
 * @param pad the padding id, -1 for none
 * @param addBos whether a BOS is put before a prompt ({@code tokenizer.ggml.add_bos_token})
 * @param addEos whether an EOS is put after a prompt
 * @param chatTemplate a Jinja chat template ({@code tokenizer.chat_template}), or null
 */
public record Vocabulary(String model, String pre, String[] tokens, float[] scores, int[] tokenTypes, String[] merges,
        int bos, int eos, int unk, int pad, boolean addBos, boolean addEos, String chatTemplate) {

    public static final int TYPE_NORMAL = 1;
    public static final int TYPE_UNKNOWN = 2;
    public static final int TYPE_CONTROL = 3;
    public static final int TYPE_USER_DEFINED = 4;
    public static final int TYPE_UNUSED = 5;
    public static final int TYPE_BYTE = 6;

    public Vocabulary {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tokens, "tokens");
        if (scores != null && scores.length != tokens.length) {
            throw new IllegalArgumentException(tokens.length + " tokens but " + scores.length + " scores");
        }
        if (tokenTypes != null && tokenTypes.length != tokens.length) {
            throw new IllegalArgumentException(tokens.length + " tokens but " + tokenTypes.length + " token types");
        }
        for (int id : new int[] {bos, eos, unk, pad}) {
            if (id < -1 || id >= tokens.length) {
                throw new IllegalArgumentException("special token id " + id + " outside the " + tokens.length + " tokens");
            }
        }
    }

    public int size() {
        return tokens.length;
    }

    /** Writes this vocabulary's {@code tokenizer.*} keys. */
    public void writeTo(GgufWriter writer) {
        writer.putString("tokenizer.ggml.model", model);
        if (pre != null) {
            writer.putString("tokenizer.ggml.pre", pre);
        }
        writer.putStringArray("tokenizer.ggml.tokens", tokens);
        if (scores != null) {
            writer.putFloatArray("tokenizer.ggml.scores", scores);
        }
        if (tokenTypes != null) {
            writer.putInt32Array("tokenizer.ggml.token_type", tokenTypes);
        }
        if (merges != null) {
            writer.putStringArray("tokenizer.ggml.merges", merges);
        }
        putId(writer, "tokenizer.ggml.bos_token_id", bos);
        putId(writer, "tokenizer.ggml.eos_token_id", eos);
        putId(writer, "tokenizer.ggml.unknown_token_id", unk);
        putId(writer, "tokenizer.ggml.padding_token_id", pad);
        writer.putBool("tokenizer.ggml.add_bos_token", addBos);
        writer.putBool("tokenizer.ggml.add_eos_token", addEos);
        if (chatTemplate != null) {
            writer.putString("tokenizer.chat_template", chatTemplate);
        }
    }

    private static void putId(GgufWriter writer, String key, int id) {
        if (id >= 0) {
            writer.putUInt32(key, id);
        }
    }
}
