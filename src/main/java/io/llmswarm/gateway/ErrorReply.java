package io.llmswarm.gateway;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * An error answer in the shape of the API the request went to: an OpenAI error object under
 * {@code /v1}, the source documents' {@code {"error": "..."}} everywhere else. For handlers that
 * sit in front of both APIs (API keys, limits).
 */
final class ErrorReply {

    private ErrorReply() {
    }

    static void send(RoutingContext ctx, int status, String message, String openAiType, String openAiCode) {
        String path = ctx.normalizedPath();
        JsonObject body = path.startsWith("/v1/") || path.equals("/v1")
                ? OpenAiJson.error(message, openAiType, openAiCode)
                : new JsonObject().put("error", message);
        HttpJson.send(ctx, status, body);
    }

    /** An error that tells the client when to come back. */
    static void retryLater(RoutingContext ctx, int status, int retryAfterSeconds, String message, String openAiCode) {
        ctx.response().putHeader("Retry-After", Integer.toString(retryAfterSeconds));
        send(ctx, status, message, status == 429 ? "rate_limit_error" : "service_unavailable", openAiCode);
    }
}
