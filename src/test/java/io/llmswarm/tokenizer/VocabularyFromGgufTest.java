package io.llmswarm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmswarm.gguf.GgufException;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.gguf.GgufWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VocabularyFromGgufTest {

    @Test
    void readsTheSentencePieceVocabularyBackFromAModelFile(@TempDir Path dir) {
        Vocabulary written = TestVocabularies.llama2();
        Path file = dir.resolve("llama2.gguf");
        TinyModelFile.write(written, file);
        try (GgufFile gguf = GgufFile.open(file)) {
            Vocabulary read = Vocabulary.fromGguf(gguf.metadata());
            assertEquals("llama", read.model());
            assertArrayEquals(written.tokens(), read.tokens());
            assertArrayEquals(written.scores(), read.scores());
            assertArrayEquals(written.tokenTypes(), read.tokenTypes());
            assertEquals(written.specialTokens(), read.specialTokens());
            assertArrayEquals(Tokenizer.of(written).encode("Grüße, 🦙!", true, true), Tokenizer.of(read).encode("Grüße, 🦙!", true, true));
        }
    }

    @Test
    void readsTheBytePairVocabularyWithItsMerges(@TempDir Path dir) {
        Vocabulary written = TestVocabularies.llama3();
        Path file = dir.resolve("llama3.gguf");
        TinyModelFile.write(written, file);
        try (GgufFile gguf = GgufFile.open(file)) {
            Vocabulary read = Vocabulary.fromGguf(gguf.metadata());
            assertEquals("llama-bpe", read.preTokenizer());
            assertArrayEquals(written.merges(), read.merges());
            assertArrayEquals(new int[] {128000, 9906, 1917}, Tokenizer.of(gguf.metadata()).encode("Hello world", true, false));
            assertEquals(written.specialTokens(), read.specialTokens());
        }
    }

    @Test
    void fillsInLlamaCppsDefaultsForMissingKeys(@TempDir Path dir) {
        Path file = dir.resolve("bare.gguf");
        new GgufWriter().putString("tokenizer.ggml.model", "llama")
                .putStringArray("tokenizer.ggml.tokens", "<unk>", "<s>", "</s>", "▁a").write(file);
        try (GgufFile gguf = GgufFile.open(file)) {
            Vocabulary read = Vocabulary.fromGguf(gguf.metadata());
            assertEquals(SpecialTokens.sentencePieceDefaults(), read.specialTokens());
            assertEquals("default", read.preTokenizer());
        }
    }

    @Test
    void aFileWithoutATokenizerIsAClearError(@TempDir Path dir) {
        Path file = dir.resolve("none.gguf");
        new GgufWriter().putString("general.architecture", "llama").write(file);
        try (GgufFile gguf = GgufFile.open(file)) {
            GgufException error = assertThrows(GgufException.class, () -> Vocabulary.fromGguf(gguf.metadata()));
            assertTrue(error.getMessage().contains("tokenizer.ggml.model"), error.getMessage());
        }
    }
}
