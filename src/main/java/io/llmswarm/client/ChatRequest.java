package io.llmswarm.client;

import io.llmswarm.tokenizer.ChatMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * A conversation for {@code POST /v1/chat/completions}: the node renders the messages with the
 * model's own chat template. Null settings leave OpenAI's defaults (temperature 1, no limit but
 * the context).
 */
public record ChatRequest(List<ChatMessage> messages, Integer maxTokens, Double temperature, Long seed) {

    public ChatRequest {
        if (messages == null || messages.isEmpty()) {
            throw new IllegalArgumentException("a chat request needs at least one message");
        }
        messages = List.copyOf(messages);
    }

    /** One user message. */
    public static ChatRequest of(String userMessage) {
        return new ChatRequest(List.of(new ChatMessage("user", userMessage)), null, null, null);
    }

    public ChatRequest withMaxTokens(int value) {
        return new ChatRequest(messages, value, temperature, seed);
    }

    public ChatRequest withTemperature(double value) {
        return new ChatRequest(messages, maxTokens, value, seed);
    }

    public ChatRequest withSeed(long value) {
        return new ChatRequest(messages, maxTokens, temperature, value);
    }

    /** A streaming body that asks for the usage chunk at the end. */
    JsonObject toStreamingJson() {
        JsonArray list = new JsonArray();
        messages.forEach(m -> list.add(new JsonObject().put("role", m.role()).put("content", m.content())));
        JsonObject json = new JsonObject().put("messages", list).put("stream", true)
                .put("stream_options", new JsonObject().put("include_usage", true));
        if (maxTokens != null) {
            json.put("max_tokens", maxTokens);
        }
        if (temperature != null) {
            json.put("temperature", temperature);
        }
        if (seed != null) {
            json.put("seed", seed);
        }
        return json;
    }
}
