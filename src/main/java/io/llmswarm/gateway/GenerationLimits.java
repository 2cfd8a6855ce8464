package io.llmswarm.gateway;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission in front of the generating routes: a generation holds a place from its request until
 * its response ends or its connection closes. A request beyond the node's limit gets 503, beyond
 * its client's limit 429, at once and with {@code Retry-After}, so admitted requests keep their
 * latency and the rest are refused quickly instead of queueing.
 */
final class GenerationLimits implements Handler<RoutingContext> {

    static final int RETRY_AFTER_SECONDS = 1;

    private final GatewayLimits limits;
    private final AtomicInteger running = new AtomicInteger();
    private final Map<String, AtomicInteger> byClient = new ConcurrentHashMap<>();

    GenerationLimits(GatewayLimits limits) {
        this.limits = limits;
    }

    @Override
    public void handle(RoutingContext ctx) {
        String client = client(ctx);
        if (running.incrementAndGet() > limits.maxConcurrent()) {
            running.decrementAndGet();
            ErrorReply.retryLater(ctx, 503, RETRY_AFTER_SECONDS, "this node is running its limit of "
                    + limits.maxConcurrent() + " generations (max_concurrent); try again shortly", "overloaded");
            return;
        }
        AtomicInteger mine = byClient.computeIfAbsent(client, c -> new AtomicInteger());
        if (mine.incrementAndGet() > limits.maxConcurrentPerClient()) {
            release(client, mine);
            ErrorReply.retryLater(ctx, 429, RETRY_AFTER_SECONDS, "this client already runs "
                    + limits.maxConcurrentPerClient() + " generations on this node (max_concurrent_per_client)",
                    "too_many_streams");
            return;
        }
        AtomicBoolean released = new AtomicBoolean();
        ctx.addEndHandler(done -> {
            if (released.compareAndSet(false, true)) {
                release(client, mine);
            }
        });
        ctx.next();
    }

    private void release(String client, AtomicInteger count) {
        running.decrementAndGet();
        if (count.decrementAndGet() <= 0) {
            byClient.remove(client, count);
        }
    }

    /** Generations running now. */
    int running() {
        return running.get();
    }

    private static String client(RoutingContext ctx) {
        String key = ctx.get(ApiKeyHandler.CLIENT);
        if (key != null) {
            return key;
        }
        var remote = ctx.request().remoteAddress();
        return remote == null ? "unknown" : remote.hostAddress();
    }
}
