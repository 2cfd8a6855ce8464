package io.llmswarm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.Pair;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our rendering against llama.cpp's Jinja rendering of the models' own chat templates. */
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
        assertSameAsLlamaCpp(TestVocabularies.qwen3(), ChatTemplateTest.QWEN + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
                dir.resolve("qwen.gguf"));
    }

    @Test
    void llama2MatchesLlamaCppApartFromTheLeadingBos(@TempDir Path dir) throws IOException {
        assertSameAsLlamaCpp(TestVocabularies.llama2(), ChatTemplateTest.LLAMA2_CHAT, dir.resolve("llama2.gguf"), CHAT);
    }

    @Test
    void mistralMatchesLlamaCppApartFromTheLeadingBos(@TempDir Path dir) throws IOException {
        // Mistral v0.1's template refuses a system message
        assertSameAsLlamaCpp(TestVocabularies.llama2(), ChatTemplateTest.MISTRAL, dir.resolve("mistral.gguf"), CHAT.subList(1, CHAT.size()));
    }

    private static void assertSameAsLlamaCpp(Vocabulary vocabulary, String template, Path file) throws IOException {
        assertSameAsLlamaCpp(vocabulary, template, file, CHAT);
    }

    /** The model's template writes BOS itself where ours leaves it to the tokenizer: that one is dropped. */
    private static void assertSameAsLlamaCpp(Vocabulary vocabulary, String template, Path file, List<ChatMessage> chat)
            throws IOException {
        Files.createDirectories(Path.of(System.getProperty("de.kherud.llama.tmpdir", "target/native")));
        TinyModelFile.write(vocabulary, template, file);
        ChatTemplate ours = ChatTemplate.detect(template);
        String eos = vocabulary.tokens()[vocabulary.specialTokens().eos()];
        try (LlamaModel llamaCpp = new LlamaModel(new ModelParameters().setModel(file.toString()).setCtxSize(512)
                .setThreads(1).enableJinja().disableLog())) {
            boolean withSystem = chat.get(0).role().equals("system");
            String expected = llamaCpp.applyTemplate(new InferenceParameters("").setMessages(withSystem ? chat.get(0).content() : null,
                    chat.subList(withSystem ? 1 : 0, chat.size()).stream().map(m -> new Pair<>(m.role(), m.content())).toList()));
            String bos = vocabulary.tokens()[vocabulary.specialTokens().bos()];
            if (expected.startsWith(bos) && !ours.render(chat, eos, true).startsWith(bos)) {
                expected = expected.substring(bos.length());
            }
            System.out.println(ours + " llama.cpp: " + expected.replace("\n", "\\n"));
            assertEquals(expected, ours.render(chat, eos, true));
        }
    }
}
