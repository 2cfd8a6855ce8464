package io.llmswarm.client;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.function.Consumer;

/**
 * OpenAI's chat stream: {@code chat.completion.chunk}s whose deltas carry the text, a chunk with
 * the finish reason, a usage chunk, then {@code [DONE]}; an {@code error} object is a failure.
 */
final class ChatEvents implements StreamEvents<ChatResult> {

    private final Consumer<String> onText;
    private final StringBuilder text = new StringBuilder();
    private String finishReason = "";
    private int promptTokens;
    private int completionTokens;

    ChatEvents(Consumer<String> onText) {
        this.onText = onText;
    }

    @Override
    public ChatResult accept(ServerSentEvents.Event event, String requestId) {
        if (event.data().equals("[DONE]")) {
            return new ChatResult(requestId, text.toString(), finishReason, promptTokens, completionTokens);
        }
        JsonObject chunk = new JsonObject(event.data());
        if (chunk.getValue("error") != null) {
            throw new SwarmClientException(0, "the generation failed on the node: "
                    + SwarmClientException.errorMessage(event.data()));
        }
        JsonObject usage = chunk.getJsonObject("usage");
        if (usage != null) {
            promptTokens = usage.getInteger("prompt_tokens", 0);
            completionTokens = usage.getInteger("completion_tokens", 0);
        }
        JsonArray choices = chunk.getJsonArray("choices", new JsonArray());
        if (!choices.isEmpty()) {
            JsonObject choice = choices.getJsonObject(0);
            String piece = choice.getJsonObject("delta", new JsonObject()).getString("content");
            if (piece != null && !piece.isEmpty()) {
                text.append(piece);
                onText.accept(piece);
            }
            if (choice.getString("finish_reason") != null) {
                finishReason = choice.getString("finish_reason");
            }
        }
        return null;
    }
}
