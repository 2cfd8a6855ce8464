package io.llmswarm.gateway;

import io.llmswarm.coordinator.GenerateJson;
import io.llmswarm.coordinator.GenerateRequest;
import io.llmswarm.tokenizer.ChatMessage;
import io.llmswarm.tokenizer.ChatTemplate;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * The prompt of {@code POST /api/inference} and of the bridge, as Ollama's {@code /api/generate}
 * treats it: put into the model's chat template as a user message (after the optional
 * {@code "system"} message) by default, or sent as it is with {@code "raw": true}. A model without
 * a chat template of its own gets its prompt as it is, and a {@code "system"} is refused.
 */
final class InferencePrompt {

    private InferencePrompt() {
    }

    /**
     * Reads a request of {@code POST /api/inference} (and of the bridge): the prompt put into the
     * template ({@link #apply}), the documented fields' types and bounds checked ({@link RequestCheck}),
     * then the coordinator's {@link GenerateRequest}.
     *
     * @throws IllegalArgumentException naming what is wrong; ClassCastException for a wrong type no check named
     */
    static GenerateRequest read(JsonObject body, ChatTemplate template, int contextLength) {
        JsonObject inference = apply(body, template);
        RequestCheck.check(inference, contextLength);
        return GenerateJson.request(inference);
    }

    /**
     * The request with its final {@code prompt}, and without {@code raw} and {@code system}; a request
     * of prompt token ids is left as it is.
     *
     * @throws IllegalArgumentException naming the field, or the model whose template cannot render it
     */
    static JsonObject apply(JsonObject body, ChatTemplate template) {
        Object raw = body.getValue("raw");
        if (raw != null && !(raw instanceof Boolean)) {
            throw new IllegalArgumentException("\"raw\" must be true or false; got " + Json.encode(raw));
        }
        Object system = body.getValue("system");
        if (system != null && !(system instanceof String)) {
            throw new IllegalArgumentException("\"system\" must be a string; got " + Json.encode(system));
        }
        JsonObject out = body.copy();
        out.remove("raw");
        out.remove("system");
        if (!(body.getValue("prompt") instanceof String prompt) || prompt.isEmpty()) {
            if (system != null && body.containsKey("prompt_tokens")) {
                throw new IllegalArgumentException("\"system\" needs a text \"prompt\", not \"prompt_tokens\"");
            }
            return out; // RequestCheck names what is wrong with the prompt
        }
        if (Boolean.TRUE.equals(raw)) {
            if (system != null) {
                throw new IllegalArgumentException("\"system\" cannot go with \"raw\": true (a raw prompt goes to the "
                        + "model as it is; write the system text into it)");
            }
            return out;
        }
        if (!template.fromModel()) {
            if (system != null) {
                throw new IllegalArgumentException("the model has no chat template, so \"system\" cannot be placed: "
                        + "send the whole prompt with \"raw\": true");
            }
            return out;
        }
        List<ChatMessage> messages = new ArrayList<>(2);
        if (system != null) {
            messages.add(new ChatMessage("system", (String) system));
        }
        messages.add(new ChatMessage("user", prompt));
        return out.put("prompt", template.prompt(messages));
    }
}
