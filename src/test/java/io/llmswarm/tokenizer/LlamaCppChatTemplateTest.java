package io.llmswarm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.Pair;
import io.llmswarm.gguf.GgufFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our rendering against a live llama.cpp's (java-llama.cpp, b4916) Jinja rendering of the models'
 * own chat templates, each stored in a model file as a node reads it.
 */
class LlamaCppChatTemplateTest {
    private static final List<ChatMessage> CHAT = List.of(new ChatMessage("system", "You are terse."),
            new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello."), new ChatMessage("user", "2+2?"));

    @Test
    void tinyLlamaZephyrMatchesLlamaCpp(@TempDir Path dir) throws IOException {
        assertSameAsLlamaCpp(TestVocabularies.llama2(), ChatTemplateTest.TINYLLAMA, dir.resolve("tinyllama.gguf"));
    }

    @Test
    void llama3MatchesLlamaCpp(@TempDir Path dir) throws IOException {
        assertSameAsLlamaCpp(TestVocabularies.llama3(), ChatTemplateTest.LLAMA3, dir.resolve("llama3.gguf"));
    }

    @Test
    void chatMlMatchesLlamaCpp(@TempDir Path dir) throws IOException {
        assertSameAsLlamaCpp(TestVocabularies.qwen3(), ChatTemplateTest.CHATML, dir.resolve("qwen.gguf"));
    }

    @Test
    void llama2MatchesLlamaCpp(@TempDir Path dir) throws IOException {
        assertSameAsLlamaCpp(TestVocabularies.llama2(), ChatTemplateTest.LLAMA2_CHAT, dir.resolve("llama2.gguf"), CHAT);
    }

    @Test
    void mistralMatchesLlamaCpp(@TempDir Path dir) throws IOException {
        // Mistral v0.2's first template refuses a system message
        assertSameAsLlamaCpp(TestVocabularies.llama2(), ChatTemplateTest.MISTRAL, dir.resolve("mistral.gguf"), CHAT.subList(1, CHAT.size()));
    }

    @Test
    void gemmaMatchesLlamaCpp(@TempDir Path dir) throws IOException {
        assertSameAsLlamaCpp(TestVocabularies.llama2(), ChatTemplateTest.GEMMA, dir.resolve("gemma.gguf"), CHAT.subList(1, CHAT.size()));
    }

    @Test
    void phi3MatchesLlamaCpp(@TempDir Path dir) throws IOException {
        assertSameAsLlamaCpp(TestVocabularies.llama2(), ChatTemplateTest.PHI3_SMALL, dir.resolve("phi3.gguf"), CHAT);
    }

    private static void assertSameAsLlamaCpp(Vocabulary vocabulary, String template, Path file) throws IOException {
        assertSameAsLlamaCpp(vocabulary, template, file, CHAT);
    }

    /** A BOS the template writes is left out on both sides: the tokenizer adds it. */
    private static void assertSameAsLlamaCpp(Vocabulary vocabulary, String template, Path file, List<ChatMessage> chat)
            throws IOException {
        Files.createDirectories(Path.of(System.getProperty("de.kherud.llama.tmpdir", "target/native")));
        TinyModelFile.write(vocabulary, template, file);
        ChatTemplate ours;
        try (GgufFile gguf = GgufFile.open(file)) {
            ours = ChatTemplate.forModel(gguf.metadata(), Tokenizer.of(gguf.metadata()), file.getFileName().toString());
        }
        try (LlamaModel llamaCpp = new LlamaModel(new ModelParameters().setModel(file.toString()).setCtxSize(512)
                .setThreads(1).enableJinja().disableLog())) {
            boolean withSystem = chat.get(0).role().equals("system");
            String expected = llamaCpp.applyTemplate(new InferenceParameters("").setMessages(withSystem ? chat.get(0).content() : null,
                    chat.subList(withSystem ? 1 : 0, chat.size()).stream().map(m -> new Pair<>(m.role(), m.content())).toList()));
            String bos = vocabulary.tokens()[vocabulary.specialTokens().bos()];
            if (expected.startsWith(bos)) {
                expected = expected.substring(bos.length());
            }
            assertEquals(expected, ours.prompt(chat));
        }
    }
}
