package io.llmswarm.gateway;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.llmswarm.tokenizer.ChatMessage;

import java.util.ArrayList;
import java.util.List;

/**
 * An OpenAI {@code /v1/completions} or {@code /v1/chat/completions} body read into the gateway's
 * own request JSON ({@code prompt}, {@code max_tokens}, sampling keys, {@code stop},
 * {@code top_logprobs}), so the same checks and the same coordinator request serve both APIs.
 *
 * @param prompt       the prompt text; for chat, the messages rendered with the model's template
 * @param logprobs     how many alternatives to report per token, or -1 when logprobs were not asked for
 * @param inference    the gateway's request JSON, without the prompt tokens
 */
record OpenAiRequest(boolean chat, String prompt, boolean stream, boolean includeUsage, int logprobs,
                     JsonObject inference) {

    /** Completions default to 16 new tokens, as OpenAI's do; chat runs until the context is full. */
    private static final int COMPLETION_DEFAULT_MAX_TOKENS = 16;

    /**
     * Any {@code "model"} is served by this swarm's model, as llama.cpp's server does (clients
     * hard-code names such as "gpt-4"); the response names the model that answered.
     */
    static OpenAiRequest read(JsonObject body, boolean chat, ServedModel model, int contextLength) {
        Object requested = body.getValue("model");
        if (requested != null && !(requested instanceof String)) {
            throw new IllegalArgumentException("\"model\" must be a string; got " + Json.encode(requested));
        }
        Object n = body.getValue("n");
        if (n != null && !(n instanceof Number number && number.intValue() == 1 && number.doubleValue() == 1)) {
            throw new IllegalArgumentException("\"n\" must be 1 (one choice per request); got " + Json.encode(n));
        }
        String prompt = chat ? model.chatTemplate().prompt(messages(body)) : prompt(body);
        JsonObject inference = new JsonObject().put("prompt", prompt);
        // top_k and ignore_eos are llama.cpp server's extensions of the same API; clients pass them as extra body keys.
        for (String key : new String[]{"temperature", "top_p", "top_k", "seed", "stop", "ignore_eos"}) {
            if (body.getValue(key) != null) {
                inference.put(key, body.getValue(key));
            }
        }
        // OpenAI samples at temperature 1 unless told otherwise.
        inference.put("temperature", inference.getValue("temperature", 1.0));
        Object maxTokens = body.getValue("max_completion_tokens", body.getValue("max_tokens"));
        inference.put("max_tokens", maxTokens != null ? maxTokens : chat ? contextLength : COMPLETION_DEFAULT_MAX_TOKENS);
        int logprobs = chat ? chatLogprobs(body) : completionLogprobs(body);
        if (logprobs >= 0) {
            // The coordinator reports a token's own log-probability only alongside at least one alternative.
            inference.put("top_logprobs", Math.max(1, logprobs));
        }
        Object stream = body.getValue("stream");
        if (stream != null && !(stream instanceof Boolean)) {
            throw new IllegalArgumentException("\"stream\" must be true or false; got " + Json.encode(stream));
        }
        JsonObject options = body.getValue("stream_options") instanceof JsonObject o ? o : new JsonObject();
        RequestCheck.check(inference, contextLength);
        return new OpenAiRequest(chat, prompt, Boolean.TRUE.equals(stream),
                Boolean.TRUE.equals(options.getValue("include_usage")), logprobs, inference);
    }

    private static String prompt(JsonObject body) {
        Object prompt = body.getValue("prompt");
        if (prompt instanceof JsonArray array && array.size() == 1 && array.getValue(0) instanceof String one) {
            prompt = one;
        }
        if (!(prompt instanceof String text)) {
            throw new IllegalArgumentException("\"prompt\" must be a string; got " + Json.encode(prompt));
        }
        return text;
    }

    static List<ChatMessage> messages(JsonObject body) {
        Object value = body.getValue("messages");
        if (!(value instanceof JsonArray array) || array.isEmpty()) {
            throw new IllegalArgumentException("\"messages\" must be a non-empty array of {\"role\", \"content\"}; got "
                    + Json.encode(value));
        }
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            if (!(array.getValue(i) instanceof JsonObject message)
                    || !(message.getValue("role") instanceof String role) || role.isEmpty()) {
                throw new IllegalArgumentException("\"messages\"[" + i + "] must be an object with a \"role\"; got "
                        + Json.encode(array.getValue(i)));
            }
            messages.add(new ChatMessage(role, content(message.getValue("content"), i)));
        }
        return messages;
    }

    /** A string, or an array of {@code {"type": "text", "text"}} parts joined. */
    private static String content(Object content, int index) {
        if (content instanceof String text) {
            return text;
        }
        if (content instanceof JsonArray parts) {
            StringBuilder text = new StringBuilder();
            for (Object part : parts) {
                if (!(part instanceof JsonObject p) || !"text".equals(p.getValue("type"))
                        || !(p.getValue("text") instanceof String piece)) {
                    throw new IllegalArgumentException("\"messages\"[" + index
                            + "].content parts must be {\"type\": \"text\", \"text\"}; got " + Json.encode(part));
                }
                text.append(piece);
            }
            return text.toString();
        }
        throw new IllegalArgumentException("\"messages\"[" + index + "].content must be a string; got "
                + Json.encode(content));
    }

    /** Chat: {@code "logprobs": true} and {@code "top_logprobs"} 0-20. */
    private static int chatLogprobs(JsonObject body) {
        Object logprobs = body.getValue("logprobs");
        Object top = body.getValue("top_logprobs");
        if (logprobs != null && !(logprobs instanceof Boolean)) {
            throw new IllegalArgumentException("\"logprobs\" must be true or false; got " + Json.encode(logprobs));
        }
        if (top != null && !(top instanceof Integer || top instanceof Long)) {
            throw new IllegalArgumentException("\"top_logprobs\" must be an integer; got " + Json.encode(top));
        }
        if (!Boolean.TRUE.equals(logprobs)) {
            if (top != null && ((Number) top).intValue() > 0) {
                throw new IllegalArgumentException("\"top_logprobs\" needs \"logprobs\": true");
            }
            return -1;
        }
        int n = top == null ? 0 : ((Number) top).intValue();
        if (n < 0 || n > 20) {
            throw new IllegalArgumentException("\"top_logprobs\" must be within 0-20; got " + n);
        }
        return n;
    }

    /** Completions: {@code "logprobs"} 0-5 alternatives per token, or null. */
    private static int completionLogprobs(JsonObject body) {
        Object logprobs = body.getValue("logprobs");
        if (logprobs == null) {
            return -1;
        }
        if (!(logprobs instanceof Integer || logprobs instanceof Long) || ((Number) logprobs).intValue() < 0
                || ((Number) logprobs).intValue() > 5) {
            throw new IllegalArgumentException("\"logprobs\" must be an integer within 0-5; got " + Json.encode(logprobs));
        }
        return ((Number) logprobs).intValue();
    }
}
