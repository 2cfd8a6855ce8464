package io.llmswarm.gateway;

import io.llmswarm.coordinator.GeneratedToken;
import io.llmswarm.coordinator.GenerationOutcome;
import io.llmswarm.inference.FinishReason;
import io.llmswarm.sampling.TokenLogprob;
import io.llmswarm.tokenizer.Tokenizer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** OpenAI's response, chunk, usage, logprobs and error objects. */
final class OpenAiJson {

    private OpenAiJson() {
    }

    /** Sampling settings whose range checks name them by their Java names, and the request fields they are. */
    private static final Map<String, String> SAMPLING_FIELDS = Map.of("temperature", "temperature", "top_p", "top_p",
            "top_k", "top_k", "min_p", "min_p", "top_logprobs", "top_logprobs", "repeat_penalty", "repeat_penalty");

    /** {@code {"error": {"message", "type", "param", "code"}}}; {@code param} is the field named first in the message. */
    static JsonObject error(String message, String type, String code) {
        String param = null;
        if (message.startsWith("\"")) {
            int end = message.indexOf('"', 1);
            param = end > 1 ? message.substring(1, end) : null;
        } else {
            int space = message.indexOf(' ');
            param = space > 0 ? SAMPLING_FIELDS.get(message.substring(0, space)) : null;
        }
        return new JsonObject().put("error", new JsonObject().put("message", message).put("type", type)
                .put("param", param).put("code", code));
    }

    /** "stop" for an end-of-generation token or a stop string, "length" for max_tokens or a full context. */
    static String finishReason(FinishReason reason) {
        return switch (reason) {
            case STOP, STOP_STRING -> "stop";
            case LENGTH, CONTEXT_FULL -> "length";
            case CANCELLED -> "cancelled";
        };
    }

    static JsonObject usage(GenerationOutcome outcome) {
        int prompt = outcome.promptTokens().length;
        int completion = outcome.tokens().size();
        return new JsonObject().put("prompt_tokens", prompt).put("completion_tokens", completion)
                .put("total_tokens", prompt + completion)
                .put("prompt_tokens_details", new JsonObject().put("cached_tokens", outcome.promptTokensReused()));
    }

    /** The head shared by whole answers and chunks. */
    static JsonObject head(String id, String object, long created, String model) {
        return new JsonObject().put("id", id).put("object", object).put("created", created).put("model", model);
    }

    /** A whole answer: one choice with the text (or the assistant's message), finish reason and usage. */
    static JsonObject completion(OpenAiRequest request, GenerationOutcome outcome, String id, long created,
                                 String model, Tokenizer tokenizer) {
        JsonObject choice = new JsonObject().put("index", 0);
        if (request.chat()) {
            choice.put("message", new JsonObject().put("role", "assistant").put("content", outcome.text()));
        } else {
            choice.put("text", outcome.text());
        }
        choice.put("logprobs", logprobs(request, outcome.tokens(), tokenizer));
        choice.put("finish_reason", finishReason(outcome.finishReason()));
        return head(id, request.chat() ? "chat.completion" : "text_completion", created, model)
                .put("choices", new JsonArray().add(choice)).put("usage", usage(outcome))
                .put("seed", outcome.seed()); // llama.cpp server's habit: the seed used, to run it again
    }

    /** Logprobs of {@code tokens} in the shape of the request's API, or null when not asked for. */
    static JsonObject logprobs(OpenAiRequest request, List<GeneratedToken> tokens, Tokenizer tokenizer) {
        if (request.logprobs() < 0) {
            return null;
        }
        int top = request.logprobs();
        if (request.chat()) {
            JsonArray content = new JsonArray();
            for (GeneratedToken token : tokens) {
                JsonArray alternatives = new JsonArray();
                for (TokenLogprob t : first(token.topLogprobs(), top)) {
                    alternatives.add(chatToken(tokenizer.tokenPiece(t.token()), tokenizer.tokenBytes(t.token()),
                            t.logprob()));
                }
                content.add(chatToken(token.text(), token.text().getBytes(StandardCharsets.UTF_8), token.logprob())
                        .put("top_logprobs", alternatives));
            }
            return new JsonObject().put("content", content);
        }
        JsonArray texts = new JsonArray();
        JsonArray logprobs = new JsonArray();
        JsonArray tops = new JsonArray();
        JsonArray offsets = new JsonArray();
        int offset = 0;
        for (GeneratedToken token : tokens) {
            texts.add(token.text());
            logprobs.add(token.logprob());
            offsets.add(offset);
            offset += token.text().length();
            JsonObject alternatives = new JsonObject();
            for (TokenLogprob t : first(token.topLogprobs(), top)) {
                alternatives.put(tokenizer.tokenPiece(t.token()), t.logprob());
            }
            tops.add(alternatives);
        }
        return new JsonObject().put("tokens", texts).put("token_logprobs", logprobs).put("top_logprobs", tops)
                .put("text_offset", offsets);
    }

    private static List<TokenLogprob> first(List<TokenLogprob> all, int n) {
        return all.subList(0, Math.min(n, all.size()));
    }

    /**
     * A token as OpenAI shows it: its text as it prints (a SentencePiece word's space as a space, a
     * byte token as its byte) and its raw bytes, which a client joins when a character spans tokens.
     */
    private static JsonObject chatToken(String text, byte[] raw, float logprob) {
        JsonArray bytes = new JsonArray();
        for (byte b : raw) {
            bytes.add(b & 0xff);
        }
        return new JsonObject().put("token", text).put("logprob", logprob).put("bytes", bytes);
    }
}
