package io.llmswarm.gateway;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import io.vertx.core.Handler;

/**
 * The router's first handler: a browser names the page that makes a request in its {@code Origin}
 * header, and a page of another site must not drive this node (run generations, open the bridge,
 * read answers). A request whose {@code Origin} is neither the node's own (the scheme and
 * {@code Host} it was reached with) nor listed in {@link AllowedOrigins} is answered 403 before
 * anything else happens, whatever its path, method or content type (a {@code text/plain} POST
 * needs no CORS pre-flight, so refusing only pre-flights would not do). A listed origin gets CORS
 * headers (its pre-flights answered here, before API keys are asked for, as browsers send none on
 * them); the bridge under {@code /eventbus} sets its own. Requests without an {@code Origin}
 * (curl, the SDKs, the OpenAI clients, a browser's same-origin GET) pass untouched.
 */
final class OriginGuard implements Handler<RoutingContext> {

    static final String ALLOWED_METHODS = "GET, POST, OPTIONS";
    static final String ALLOWED_HEADERS = "Authorization, Content-Type, Accept, Last-Event-ID";
    static final String EXPOSED_HEADERS = "X-Request-Id, Retry-After";
    private static final String PREFLIGHT_MAX_AGE_SECONDS = "600";

    private final AllowedOrigins allowed;
    private final GatewayMetrics metrics;

    OriginGuard(AllowedOrigins allowed, GatewayMetrics metrics) {
        this.allowed = allowed;
        this.metrics = metrics;
    }

    @Override
    public void handle(RoutingContext ctx) {
        String origin = ctx.request().getHeader("Origin");
        if (origin == null || isOwn(ctx, origin)) {
            ctx.next();
            return;
        }
        ctx.response().putHeader("Vary", "Origin");
        if (!allowed.allows(origin)) {
            metrics.refused("origin");
            ErrorReply.send(ctx, 403, "this node does not answer pages of " + origin + ": only its own page and the "
                    + "origins listed in --allowed-origins (LLMSWARM_ALLOWED_ORIGINS) may call it from a browser",
                    "invalid_request_error", "origin_not_allowed");
            return;
        }
        String path = ctx.normalizedPath();
        if (path.equals("/eventbus") || path.startsWith("/eventbus/")) {
            ctx.next(); // SockJS answers its own pre-flights and sets its own CORS headers
            return;
        }
        ctx.response().putHeader("Access-Control-Allow-Origin", origin)
                .putHeader("Access-Control-Expose-Headers", EXPOSED_HEADERS);
        if (ctx.request().method() == HttpMethod.OPTIONS
                && ctx.request().getHeader("Access-Control-Request-Method") != null) {
            ctx.response().putHeader("Access-Control-Allow-Methods", ALLOWED_METHODS)
                    .putHeader("Access-Control-Allow-Headers", ALLOWED_HEADERS)
                    .putHeader("Access-Control-Max-Age", PREFLIGHT_MAX_AGE_SECONDS)
                    .setStatusCode(204).end();
            return;
        }
        ctx.next();
    }

    /** Whether {@code origin} is the one this request was addressed to: its scheme and Host header. */
    static boolean isOwn(RoutingContext ctx, String origin) {
        String host = ctx.request().getHeader("Host");
        if (host == null) {
            return false;
        }
        String own = AllowedOrigins.normalize(ctx.request().scheme() + "://" + host);
        return own != null && own.equals(AllowedOrigins.normalize(origin));
    }
}
