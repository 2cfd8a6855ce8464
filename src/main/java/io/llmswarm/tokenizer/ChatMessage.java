package io.llmswarm.tokenizer;

import java.util.Objects;

/** One turn of a conversation; role is "system", "user" or "assistant". */
public record ChatMessage(String role, String content) {
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }
}
