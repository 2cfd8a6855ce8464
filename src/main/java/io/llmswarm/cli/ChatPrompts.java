package io.llmswarm.cli;

import io.llmswarm.gguf.GgufFile;
import io.llmswarm.tokenizer.ChatMessage;
import io.llmswarm.tokenizer.ChatTemplate;
import io.llmswarm.tokenizer.Tokenizer;

import java.util.List;

/** Renders a single user prompt with the chat template the model's metadata names. */
final class ChatPrompts {

    private ChatPrompts() {
    }

    static String render(Tokenizer tokenizer, GgufFile file, String prompt) {
        ChatTemplate template = ChatTemplate.detect(
                file.metadata().getStringOrDefault("tokenizer.chat_template", ""));
        return template.render(List.of(new ChatMessage("user", prompt)), tokenizer.tokenPiece(tokenizer.eos()), true);
    }
}
