package io.llmswarm.cli;

import io.llmswarm.gguf.GgufFile;
import io.llmswarm.tokenizer.ChatMessage;
import io.llmswarm.tokenizer.ChatTemplate;
import io.llmswarm.tokenizer.Tokenizer;

import java.util.List;

/** Renders a single user prompt with the model's own chat template (ChatML for a model without one). */
final class ChatPrompts {

    private ChatPrompts() {
    }

    static String render(Tokenizer tokenizer, GgufFile file, String prompt) {
        String name = file.metadata().findString("general.name").orElse(file.path().getFileName().toString());
        return ChatTemplate.forModel(file.metadata(), tokenizer, name).prompt(List.of(new ChatMessage("user", prompt)));
    }
}
