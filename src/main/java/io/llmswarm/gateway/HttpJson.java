package io.llmswarm.gateway;

import io.llmswarm.cluster.SwarmView;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** JSON answers and the gateway's error shape {@code {"error": "..."}}. */
final class HttpJson {

    /** Seconds a client is told to wait before asking a swarm that is not ready again. */
    static final String RETRY_AFTER_SECONDS = "5";

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
}
