package io.llmswarm.gateway;

import io.llmswarm.coordinator.GeneratedToken;
import io.llmswarm.coordinator.GenerationOutcome;
import io.llmswarm.cluster.SwarmNotReadyException;
import io.llmswarm.tokenizer.Tokenizer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * OpenAI's stream: a {@code chat.completion.chunk} or {@code text_completion} chunk per token
 * (the first chat chunk carries the assistant role), a last chunk with the finish reason, a usage
 * chunk when {@code stream_options.include_usage} asked for it, then {@code data: [DONE]}.
 * One instance per request; tokens arrive one at a time, in order.
 */
final class OpenAiChunks implements EventStream.Format {

    private static final String DONE = "data: [DONE]\n\n";

    private final OpenAiRequest request;
    private final String id;
    private final long created;
    private final String model;
    private final Tokenizer tokenizer;
    private boolean roleSent;

    OpenAiChunks(OpenAiRequest request, String id, long created, String model, Tokenizer tokenizer) {
        this.request = request;
        this.id = id;
        this.created = created;
        this.model = model;
        this.tokenizer = tokenizer;
    }

    @Override
    public String token(GeneratedToken token) {
        if (token.text().isEmpty() && request.logprobs() < 0) {
            return "";
        }
        JsonObject choice = choice(token.text()).put("logprobs",
                OpenAiJson.logprobs(request, List.of(token), tokenizer)).put("finish_reason", null);
        return EventStream.frame(null, chunk(choice));
    }

    @Override
    public String done(GenerationOutcome outcome) {
        JsonObject last = choice("").put("logprobs", null)
                .put("finish_reason", OpenAiJson.finishReason(outcome.finishReason()));
        String frames = EventStream.frame(null, chunk(last));
        if (request.includeUsage()) {
            frames += EventStream.frame(null, chunk(null).put("usage", OpenAiJson.usage(outcome)));
        }
        return frames + DONE;
    }

    @Override
    public String error(Throwable failure) {
        String type = failure instanceof SwarmNotReadyException ? "service_unavailable" : "server_error";
        return EventStream.frame(null, OpenAiJson.error(String.valueOf(failure.getMessage()), type, null)) + DONE;
    }

    private JsonObject choice(String text) {
        JsonObject choice = new JsonObject().put("index", 0);
        if (!request.chat()) {
            return choice.put("text", text);
        }
        // The first delta names the role (with content, if only ""); the last one is empty.
        JsonObject delta = new JsonObject();
        if (!roleSent) {
            delta.put("role", "assistant").put("content", text);
            roleSent = true;
        } else if (!text.isEmpty()) {
            delta.put("content", text);
        }
        return choice.put("delta", delta);
    }

    /** A chunk with {@code choice}, or with no choices (the usage chunk). */
    private JsonObject chunk(JsonObject choice) {
        JsonArray choices = choice == null ? new JsonArray() : new JsonArray().add(choice);
        return OpenAiJson.head(id, request.chat() ? "chat.completion.chunk" : "text_completion", created, model)
                .put("choices", choices);
    }
}
