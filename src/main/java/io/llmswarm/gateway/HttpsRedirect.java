package io.llmswarm.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

/**
 * The optional plain-HTTP listener of an HTTPS gateway ({@code --https-redirect-port}): every
 * request is answered with a permanent redirect to the same path and query on the HTTPS port
 * (308, so a POST stays a POST), and nothing else happens; its body is not read.
 */
final class HttpsRedirect {

    private HttpsRedirect() {
    }

    /** Listens on {@code host:port}; completes with the bound port. */
    static Future<Integer> listen(Vertx vertx, String host, int port, int httpsPort) {
        return vertx.createHttpServer().requestHandler(request -> redirect(request, host, httpsPort))
                .listen(port, host).map(server -> server.actualPort())
                .recover(e -> Future.failedFuture(new IllegalStateException("the HTTP to HTTPS redirect cannot listen on "
                        + host + ":" + port + " (--https-redirect-port): " + e.getMessage(), e)));
    }

    private static void redirect(HttpServerRequest request, String bindHost, int httpsPort) {
        String host = hostOnly(request.getHeader("Host"));
        if (host == null) {
            host = bindHost.equals(GatewaySettings.ALL_INTERFACES) ? "127.0.0.1" : bindHost;
        }
        String target = "https://" + host + (httpsPort == 443 ? "" : ":" + httpsPort) + request.uri();
        request.response().setStatusCode(308).putHeader("Location", target)
                .putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("error", "this node answers over HTTPS: " + target).encode());
    }

    /** The host of a Host header, without its port; null when there is none or it is not a host name. */
    static String hostOnly(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String h = header.strip();
        String host;
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            host = end < 0 ? null : h.substring(0, end + 1);
        } else {
            int colon = h.indexOf(':');
            host = colon < 0 ? h : h.substring(0, colon);
        }
        // Only characters a host may have: a header must not steer the redirect elsewhere than a host.
        return host != null && host.matches("[A-Za-z0-9.\\-]+|\\[[0-9A-Fa-f:.]+\\]") ? host : null;
    }
}
