package io.llmswarm.gateway;

import io.vertx.core.VertxException;
import io.vertx.core.http.HttpClosedException;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.channels.ClosedChannelException;

/**
 * Errors the router itself raises (no such path, wrong method, a body over the limit, a failure
 * no handler caught) answered as JSON in the shape of the API the request went to, like every
 * other error of the gateway, instead of Vert.x's plain-text pages.
 */
final class JsonErrors {

    private static final Logger LOG = LoggerFactory.getLogger("io.llmswarm.gateway.clients");

    private JsonErrors() {
    }

    static void install(Router router) {
        // A client that went away before its body arrived (or while being answered) fails its
        // request with a closed connection: nothing to answer, and the client's business.
        router.route().failureHandler(ctx -> {
            if (ctx.response().closed() || isClosedConnection(ctx.failure())) {
                LOG.debug("client went away: {} {}: {}", ctx.request().method(), ctx.normalizedPath(),
                        String.valueOf(ctx.failure()));
                if (!ctx.response().closed() && !ctx.response().ended()) {
                    ctx.response().reset();
                }
                return;
            }
            ctx.next();
        });
        router.errorHandler(400, ctx -> send(ctx, 400, "bad request: " + reason(ctx)));
        router.errorHandler(404, ctx -> send(ctx, 404, "no such resource: " + ctx.request().method() + " "
                + ctx.normalizedPath()));
        router.errorHandler(405, ctx -> send(ctx, 405, "method " + ctx.request().method() + " is not allowed on "
                + ctx.normalizedPath()));
        router.errorHandler(413, ctx -> send(ctx, 413, "the request body is larger than "
                + (GatewayVerticle.BODY_LIMIT_BYTES >> 20) + " MiB"));
        router.errorHandler(415, ctx -> send(ctx, 415, "unsupported content type: " + ctx.request().getHeader("Content-Type")));
        router.errorHandler(500, ctx -> send(ctx, 500, "internal error: " + reason(ctx)));
    }

    private static boolean isClosedConnection(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof HttpClosedException
                    || t instanceof ClosedChannelException
                    || (t instanceof VertxException && String.valueOf(t.getMessage()).contains("closed"))) {
                return true;
            }
        }
        return false;
    }

    private static void send(RoutingContext ctx, int status, String message) {
        if (ctx.response().headWritten()) {
            ctx.response().reset();
            return;
        }
        ErrorReply.send(ctx, status, message, status >= 500 ? "server_error" : "invalid_request_error", null);
    }

    private static String reason(RoutingContext ctx) {
        Throwable failure = ctx.failure();
        return failure == null ? "HTTP " + ctx.statusCode() : String.valueOf(failure.getMessage());
    }
}
