package io.llmswarm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.gguf.ModelMaker;
import io.llmswarm.gguf.ModelSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our tokenizers against llama.cpp (java-llama.cpp, b4916) on the same real vocabularies: a tiny
 * model file carries each vocabulary, llama.cpp loads it and tokenizes every corpus string.
 * llama.cpp's {@code encode} there adds no BOS and parses special-token text.
 */
class LlamaCppTokenizerFidelityTest {

    @Test
    void llama2SentencePieceTokenizesLikeLlamaCpp(@TempDir Path dir) throws IOException {
        assertSameAsLlamaCpp(TestVocabularies.llama2(), dir.resolve("llama2-vocab.gguf"));
    }

    @Test
    void llama3BytePairTokenizesLikeLlamaCpp(@TempDir Path dir) throws IOException {
        assertSameAsLlamaCpp(TestVocabularies.llama3(), dir.resolve("llama3-vocab.gguf"));
    }

    @Test
    void qwen3BytePairWithQwen2PreTokenizerTokenizesLikeLlamaCpp(@TempDir Path dir) throws IOException {
        assertSameAsLlamaCpp(TestVocabularies.qwen3(), dir.resolve("qwen3-vocab.gguf"));
    }

    @Test
    void gpt2PreTokenizerWithoutIgnoreMergesTokenizesLikeLlamaCpp(@TempDir Path dir) throws IOException {
        assertSameAsLlamaCpp(TestVocabularies.withPreTokenizer(TestVocabularies.llama3(), "gpt-2"), dir.resolve("gpt2-pre.gguf"));
    }

    @Test
    void defaultPreTokenizerTokenizesLikeLlamaCpp(@TempDir Path dir) throws IOException {
        assertSameAsLlamaCpp(TestVocabularies.withPreTokenizer(TestVocabularies.llama3(), "default"), dir.resolve("default-pre.gguf"));
    }

    @Test
    void sentencePieceWithoutSpacePrefixTokenizesLikeLlamaCpp(@TempDir Path dir) throws IOException {
        Vocabulary llama2 = TestVocabularies.llama2();
        SpecialTokens noPrefix = new SpecialTokens(1, 2, 0, -1, true, false, false);
        assertSameAsLlamaCpp(new Vocabulary("llama", "default", llama2.tokens(), llama2.scores(), llama2.tokenTypes(), null, noPrefix),
                dir.resolve("no-prefix.gguf"));
    }

    @Test
    void modelMakersSyntheticVocabularyReadFromTheFileTokenizesLikeLlamaCpp(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("synthetic.gguf");
        ModelMaker.write(ModelSpec.tiny(GgmlType.F32), file);
        Vocabulary vocabulary;
        try (GgufFile gguf = GgufFile.open(file)) {
            vocabulary = Vocabulary.fromGguf(gguf.metadata());
        }
        assertSameAsLlamaCpp(vocabulary, file, false);
    }

    private static void assertSameAsLlamaCpp(Vocabulary vocabulary, Path file) throws IOException {
        assertSameAsLlamaCpp(vocabulary, file, true);
    }

    private static void assertSameAsLlamaCpp(Vocabulary vocabulary, Path file, boolean writeFile) throws IOException {
        // java-llama.cpp unpacks its native library into this directory and fails if it is missing
        Files.createDirectories(Path.of(System.getProperty("de.kherud.llama.tmpdir", "target/native")));
        if (writeFile) {
            TinyModelFile.write(vocabulary, file);
        }
        Tokenizer ours = Tokenizer.of(vocabulary);
        List<String> corpus = new ArrayList<>(TokenizerCorpus.strings());
        corpus.addAll(TokenizerCorpus.randomStrings(20261125L, 300));
        List<String> encodeMismatches = new ArrayList<>();
        List<String> pieceMismatches = new ArrayList<>();
        int tokens = 0;
        int specialTokens = 0;
        try (LlamaModel llamaCpp = new LlamaModel(new ModelParameters().setModel(file.toString())
                .setCtxSize(512).setThreads(1).disableLog())) {
            for (String text : corpus) {
                int[] expected = llamaCpp.encode(text);
                int[] actual = ours.encode(text, false, true);
                if (!Arrays.equals(expected, actual)) {
                    encodeMismatches.add(describe(text) + " llama.cpp " + Arrays.toString(expected) + " ours " + Arrays.toString(actual));
                    continue;
                }
                tokens += expected.length;
                specialTokens += (int) Arrays.stream(expected).filter(id -> TokenType.isSpecial(vocabulary.tokenType(id))).count();
                String expectedText = llamaCpp.decode(expected);
                StringBuilder pieces = new StringBuilder();
                byte[] bytes = concatenatedPieces((VocabularyTokenizer) ours, expected);
                pieces.append(new String(bytes, StandardCharsets.UTF_8));
                if (!expectedText.contentEquals(pieces)) {
                    pieceMismatches.add(describe(text) + " llama.cpp " + describe(expectedText) + " ours " + describe(pieces.toString()));
                }
            }
        }
        System.out.println(vocabulary.model() + "/" + vocabulary.preTokenizer() + ": " + corpus.size()
                + " strings compared (" + tokens + " tokens, " + specialTokens + " special tokens), " + encodeMismatches.size() + " encode mismatches, " + pieceMismatches.size() + " piece mismatches");
        encodeMismatches.forEach(System.out::println);
        pieceMismatches.forEach(System.out::println);
        assertTrue(corpus.size() >= 600, "corpus has " + corpus.size() + " strings");
        assertTrue(tokens > 2000 && (specialTokens > 10 || vocabulary.size() < 1000), "llama.cpp produced " + tokens + " tokens, " + specialTokens + " special");
        assertEquals(List.of(), encodeMismatches, "token ids differ from llama.cpp");
        assertEquals(List.of(), pieceMismatches, "token pieces differ from llama.cpp");
    }

    /** What llama.cpp's decode gives: every piece with special tokens rendered, nothing stripped. */
    private static byte[] concatenatedPieces(VocabularyTokenizer tokenizer, int[] ids) {
        VocabularyTokenizer.ByteBuffer buffer = new VocabularyTokenizer.ByteBuffer();
        for (int id : ids) {
            byte[] piece = tokenizer.pieceBytes(id, true);
            buffer.append(piece, 0, piece.length);
        }
        return buffer.toArray();
    }

    private static String describe(String text) {
        StringBuilder out = new StringBuilder("\"");
        text.codePoints().forEach(cp -> {
            if (cp < 0x20 || cp == 0x7f) {
                out.append(String.format("\\u%04x", cp));
            } else {
                out.appendCodePoint(cp);
            }
        });
        return out.append('"').toString();
    }
}
