package io.llmswarm.gateway;

import io.vertx.core.Handler;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;

import java.net.InetAddress;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The first handler of the router: when API keys are set, a request to {@code /api}, {@code /v1},
 * {@code /metrics} or the event-bus bridge ({@code /eventbus}) without a valid
 * {@code Authorization: Bearer KEY} is answered 401 before its body is read, and nothing else
 * happens. {@code /health}, {@code /ready} and the static web UI stay open. The bridge alone may
 * also take the key as the {@code access_token} query parameter (RFC 6750 §2.3), as browsers
 * cannot set headers on SockJS transports. The matched key's name is left in the context as
 * {@link #CLIENT} so limits can count a client's streams.
 */
public final class ApiKeyHandler implements Handler<RoutingContext> {

    /** Context key of the client's identity: the matched key's name. */
    public static final String CLIENT = "llmswarm.client";

    private static final String BEARER = "Bearer ";

    private static final System.Logger LOG = System.getLogger(ApiKeyHandler.class.getName());

    private final ApiKeys keys;
    private final AtomicBoolean warnedInClear = new AtomicBoolean();

    public ApiKeyHandler(ApiKeys keys) {
        this.keys = keys;
    }

    @Override
    public void handle(RoutingContext ctx) {
        String path = ctx.normalizedPath();
        if (!keys.enabled() || !isProtected(path)) {
            ctx.next();
            return;
        }
        String presented = bearer(ctx.request().getHeader("Authorization"));
        if (presented == null && under(path, "/eventbus")) {
            presented = ctx.request().getParam("access_token");
        }
        Optional<String> client = keys.match(presented);
        if (client.isPresent()) {
            warnIfInClear(ctx);
            ctx.put(CLIENT, client.get());
            ctx.next();
            return;
        }
        ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"llm-swarm\"");
        ErrorReply.send(ctx, 401, presented == null
                        ? "this node needs an API key: send the header 'Authorization: Bearer KEY'"
                        : "the API key is not valid for this node",
                "invalid_request_error", "invalid_api_key");
    }

    /**
     * A key that came over plain HTTP from another machine crossed the network readable by anyone on
     * the way: said once per gateway, loudly (HTTPS: {@code --https-cert}, {@code --https-key}).
     */
    private void warnIfInClear(RoutingContext ctx) {
        if (ctx.request().isSSL() || warnedInClear.get()) {
            return;
        }
        SocketAddress remote = ctx.request().remoteAddress();
        if (remote == null || remote.host() == null || isLoopback(remote.host())) {
            return;
        }
        if (warnedInClear.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.WARNING, "an API key reached this node over plain HTTP from " + remote.host()
                    + ": keys and prompts cross the network in clear. Serve HTTPS (--https-cert, --https-key) or keep "
                    + "clients on loopback. (Said once.)");
        }
    }

    private static boolean isLoopback(String ip) {
        try {
            return InetAddress.ofLiteral(ip).isLoopbackAddress();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static boolean isProtected(String path) {
        return under(path, "/api") || under(path, "/v1") || under(path, "/metrics") || under(path, "/eventbus")
                || under(path, "/admin");
    }

    private static boolean under(String path, String prefix) {
        return path.equals(prefix) || path.startsWith(prefix + "/");
    }

    private static String bearer(String header) {
        if (header == null || header.length() <= BEARER.length()
                || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        return header.substring(BEARER.length()).strip();
    }
}
