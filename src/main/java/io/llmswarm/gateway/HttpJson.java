package io.llmswarm.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.llmswarm.cluster.SwarmView;
import io.llmswarm.coordinator.GenerationFailure;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** JSON answers, the gateway's error shape {@code {"error": "..."}}, and request bodies read as JSON. */
final class HttpJson {

    /** Seconds a client is told to wait before asking a swarm that is not ready again. */
    static final String RETRY_AFTER_SECONDS = Integer.toString(GenerationFailure.NOT_READY_RETRY_SECONDS);

    private HttpJson() {
    }

    static void send(RoutingContext ctx, int status, JsonObject body) {
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(body.encode());
    }

    static void error(RoutingContext ctx, int status, String message) {
        send(ctx, status, new JsonObject().put("error", message));
    }

    /** 503 naming the missing layers, with Retry-After. */
    static void notReady(RoutingContext ctx, SwarmView view) {
        ctx.response().putHeader("Retry-After", RETRY_AFTER_SECONDS);
        String reason = view.notReadyReason();
        send(ctx, 503, new JsonObject().put("ready", false)
                .put("error", reason == null ? "the swarm is not ready" : reason)
                .put("missing_layers", view.toJson().getJsonArray("missing_layers")));
    }

    /**
     * The request body as a JSON object, whatever its Content-Type says ({@code curl -d} sends
     * form-urlencoded). Errors say what is wrong in the API's words, without the parser's internals.
     *
     * @param expected what the object should hold, for the message (e.g. {@code "prompt"})
     */
    static JsonObject body(RoutingContext ctx, String expected) {
        if (ctx.body() == null || ctx.body().length() <= 0) {
            throw new IllegalArgumentException("the request body is empty: expected a JSON object with " + expected);
        }
        if (ctx.body().buffer() == null) { // a multipart form, which the body handler took apart
            throw new IllegalArgumentException("the request body is not a JSON object: expected a JSON object with "
                    + expected);
        }
        Object value;
        try {
            value = ctx.body().buffer().toJsonValue();
        } catch (DecodeException e) {
            throw new IllegalArgumentException("the request body is not a JSON object: invalid JSON ("
                    + parserReason(e) + "); expected a JSON object with " + expected);
        }
        if (!(value instanceof JsonObject json)) {
            throw new IllegalArgumentException("the request body is not a JSON object: expected a JSON object with "
                    + expected);
        }
        return json;
    }

    /** Jackson's own sentence and the place, without its class names or source excerpt. */
    static String parserReason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof JsonProcessingException parse) {
                String message = parse.getOriginalMessage()
                        .replaceAll("\\s*\\((?:start marker at )?\\[Source:.*?\\]\\)", "")
                        .replaceAll("\\[Source:.*?\\]", "")
                        .replaceAll("\\s*\\(from `[^`]*`\\)", "")
                        .replaceAll(",\\s*from `[^`]*`", "");
                int internals = message.indexOf('`');
                message = internals >= 0 ? message.substring(0, internals).strip() : message;
                if (parse.getLocation() != null && parse.getLocation().getLineNr() > 0) {
                    message += " at line " + parse.getLocation().getLineNr() + ", column "
                            + parse.getLocation().getColumnNr();
                }
                return message.replace('\n', ' ');
            }
        }
        return "it cannot be parsed";
    }
}
