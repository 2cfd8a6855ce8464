package io.llmswarm.client;

/**
 * A finished chat answer of {@code POST /v1/chat/completions}: the request id, the assistant's
 * text, OpenAI's finish reason ({@code stop} or {@code length}) and the token counts of its usage.
 */
public record ChatResult(String requestId, String text, String finishReason, int promptTokens,
                         int completionTokens) {
}
