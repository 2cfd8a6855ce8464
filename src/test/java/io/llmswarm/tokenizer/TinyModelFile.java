package io.llmswarm.tokenizer;

import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.GgufWriter;
import io.llmswarm.gguf.ModelMaker;
import io.llmswarm.gguf.ModelSpec;
import java.nio.file.Path;

/**
 * Writes a tiny LLaMA model (2 layers, width 64, tied F16 embedding) that carries a vocabulary,
 * so that llama.cpp can be asked how it tokenizes with that vocabulary.
 */
final class TinyModelFile {
    private TinyModelFile() {
    }

    static void write(Vocabulary vocabulary, Path path) {
        write(vocabulary, null, path);
    }

    /** @param chatTemplate stored as {@code tokenizer.chat_template} unless null */
    static void write(Vocabulary vocabulary, String chatTemplate, Path path) {
        ModelSpec spec = ModelSpec.tiny(GgmlType.F32).toBuilder()
                .name("tokenizer-test")
                .vocabSize(vocabulary.size())
                .embeddingType(GgmlType.F16)
                .tiedEmbeddings(true)
                .vocabulary(vocabulary.toGgufVocabulary(chatTemplate))
                .build();
        GgufWriter writer = ModelMaker.writer(spec);
        if (vocabulary.model().equals(Vocabulary.SENTENCE_PIECE)) {
            writer.putBool("tokenizer.ggml.add_space_prefix", vocabulary.specialTokens().addSpacePrefix());
        }
        writer.write(path);
    }
}
