package io.llmswarm.tokenizer;

import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.GgufWriter;
import java.nio.file.Path;

/**
 * Writes a tiny LLaMA model (2 layers, width 64, zero weights) that carries a vocabulary, so that
 * llama.cpp can be asked how it tokenizes with that vocabulary.
 */
final class TinyModelFile {
    private static final int WIDTH = 64;
    private static final int LAYERS = 2;
    private static final int FEED_FORWARD = 128;

    private TinyModelFile() {
    }

    static void write(Vocabulary vocabulary, Path path) {
        write(vocabulary, null, path);
    }

    /** @param chatTemplate stored as {@code tokenizer.chat_template} unless null */
    static void write(Vocabulary vocabulary, String chatTemplate, Path path) {
        GgufWriter writer = new GgufWriter()
                .putString("general.architecture", "llama")
                .putString("general.name", "tokenizer-test")
                .putUInt32("llama.context_length", 2048)
                .putUInt32("llama.embedding_length", WIDTH)
                .putUInt32("llama.block_count", LAYERS)
                .putUInt32("llama.feed_forward_length", FEED_FORWARD)
                .putUInt32("llama.attention.head_count", 4)
                .putUInt32("llama.attention.head_count_kv", 4)
                .putUInt32("llama.rope.dimension_count", WIDTH / 4)
                .putFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
                .putString("tokenizer.ggml.model", vocabulary.model())
                .putString("tokenizer.ggml.pre", vocabulary.preTokenizer())
                .putStringArray("tokenizer.ggml.tokens", vocabulary.tokens());
        if (vocabulary.scores() != null) {
            writer.putFloatArray("tokenizer.ggml.scores", vocabulary.scores());
        }
        if (vocabulary.tokenTypes() != null) {
            writer.putInt32Array("tokenizer.ggml.token_type", vocabulary.tokenTypes());
        }
        if (vocabulary.merges() != null) {
            writer.putStringArray("tokenizer.ggml.merges", vocabulary.merges());
        }
        if (chatTemplate != null) {
            writer.putString("tokenizer.chat_template", chatTemplate);
        }
        SpecialTokens special = vocabulary.specialTokens();
        writer.putUInt32("tokenizer.ggml.bos_token_id", special.bos())
                .putUInt32("tokenizer.ggml.eos_token_id", special.eos())
                .putBool("tokenizer.ggml.add_bos_token", special.addBos())
                .putBool("tokenizer.ggml.add_eos_token", special.addEos());
        if (special.unknown() >= 0) {
            writer.putUInt32("tokenizer.ggml.unknown_token_id", special.unknown());
        }
        if (vocabulary.model().equals(Vocabulary.SENTENCE_PIECE)) {
            writer.putBool("tokenizer.ggml.add_space_prefix", special.addSpacePrefix());
        }
        long vocab = vocabulary.size();
        writer.addTensor("token_embd.weight", GgmlType.F16, new long[] {WIDTH, vocab}, () -> new float[(int) (WIDTH * vocab)]);
        writer.addTensor("output_norm.weight", GgmlType.F32, new long[] {WIDTH}, ones(WIDTH));
        for (int layer = 0; layer < LAYERS; layer++) {
            String block = "blk." + layer + ".";
            writer.addTensor(block + "attn_norm.weight", GgmlType.F32, new long[] {WIDTH}, ones(WIDTH));
            writer.addTensor(block + "ffn_norm.weight", GgmlType.F32, new long[] {WIDTH}, ones(WIDTH));
            for (String name : new String[] {"attn_q", "attn_k", "attn_v", "attn_output"}) {
                writer.addTensor(block + name + ".weight", GgmlType.F32, new long[] {WIDTH, WIDTH}, new float[WIDTH * WIDTH]);
            }
            writer.addTensor(block + "ffn_gate.weight", GgmlType.F32, new long[] {WIDTH, FEED_FORWARD}, new float[WIDTH * FEED_FORWARD]);
            writer.addTensor(block + "ffn_up.weight", GgmlType.F32, new long[] {WIDTH, FEED_FORWARD}, new float[WIDTH * FEED_FORWARD]);
            writer.addTensor(block + "ffn_down.weight", GgmlType.F32, new long[] {FEED_FORWARD, WIDTH}, new float[WIDTH * FEED_FORWARD]);
        }
        writer.write(path);
    }

    private static float[] ones(int n) {
        float[] values = new float[n];
        java.util.Arrays.fill(values, 1f);
        return values;
    }
}
