package io.llmswarm.gateway;

import io.llmswarm.cluster.SwarmView;
import io.llmswarm.coordinator.GenerationFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * An error answer in the shape of the API the request went to: an OpenAI error object under
 * {@code /v1}, the source documents' {@code {"error": "..."}} everywhere else. For handlers that
 * sit in front of both APIs (API keys, limits), and for a generation that failed to start or to
 * finish ({@link #generationFailed}), whose status the coordinator's {@link GenerationFailure} table decides.
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

    /**
     * A failed generation, as {@link GenerationFailure} says: its status, {@code Retry-After} when
     * trying again may help, and under {@code /api} a swarm that is not ready also says so with
     * {@code "ready": false} and the layers {@code view} lacks.
     */
    static void generationFailed(RoutingContext ctx, GenerationFailure failure, SwarmView view) {
        if (failure.retryAfterSeconds() > 0) {
            ctx.response().putHeader("Retry-After", Integer.toString(failure.retryAfterSeconds()));
        }
        String path = ctx.normalizedPath();
        if (path.startsWith("/v1/") || path.equals("/v1")) {
            HttpJson.send(ctx, failure.status(), OpenAiJson.error(failure.message(), failure.openAiType(),
                    failure.openAiCode()));
        } else if (failure.notReady()) {
            HttpJson.send(ctx, failure.status(), new JsonObject().put("ready", false).put("error", failure.message())
                    .put("missing_layers", view.toJson().getJsonArray("missing_layers")));
        } else {
            HttpJson.send(ctx, failure.status(), new JsonObject().put("error", failure.message()));
        }
    }
}
