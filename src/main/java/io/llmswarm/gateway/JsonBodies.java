package io.llmswarm.gateway;

import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How the gateway meets clients' habits: bodies are JSON whatever the Content-Type says, a wrong
 * method is a 405 naming the right one, and requests the HTTP codec refuses (a URI or headers too
 * long) still get a JSON answer.
 */
final class JsonBodies {

    private JsonBodies() {
    }

    /**
     * {@code curl -d} sends {@code application/x-www-form-urlencoded}, which the body handler would
     * parse as a form (and refuse past its form limits): every body of the API is JSON, so it is read
     * as JSON whatever the header says.
     */
    static void readAsJson(RoutingContext ctx) {
        String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
        if (type != null && !type.toLowerCase(Locale.ROOT).contains("json")) {
            ctx.request().headers().set(HttpHeaders.CONTENT_TYPE, "application/json");
        }
        ctx.next();
    }

    /** Any other method on {@code path} is answered 405 with {@code Allow}. */
    static void onlyMethod(Router router, String path, HttpMethod... allowed) {
        String allow = Arrays.stream(allowed).map(HttpMethod::name).collect(Collectors.joining(", "));
        router.route(path).handler(ctx -> {
            ctx.response().putHeader("Allow", allow);
            ErrorReply.send(ctx, 405, "method " + ctx.request().method() + " is not allowed on "
                    + ctx.normalizedPath() + "; use " + allow, "invalid_request_error", "method_not_allowed");
        });
    }

    /** The codec's refusals as JSON: 414 for a request line too long, 431 for headers too large, else 400. */
    static void invalidRequest(HttpServerRequest request) {
        DecoderResult result = request.decoderResult();
        Throwable cause = result == null ? null : result.cause();
        int status = 400;
        String message = "the request is not valid HTTP";
        if (cause instanceof TooLongFrameException tooLong) {
            String text = String.valueOf(tooLong.getMessage()).toLowerCase(Locale.ROOT);
            if (text.contains("header")) {
                status = 431;
                message = "the request's headers are too large";
            } else {
                status = 414;
                message = "the request's URI is too long";
            }
        }
        request.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CONNECTION, "close")
                .end(new JsonObject().put("error", message).encode())
                .onComplete(done -> request.connection().close());
    }
}
