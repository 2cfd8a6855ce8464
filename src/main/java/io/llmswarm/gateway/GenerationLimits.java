package io.llmswarm.gateway;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * Admission in front of the generating HTTP routes: a generation holds a place from its request
 * until its response ends or its connection closes. A request beyond the node's limit gets 503,
 * beyond its client's limit 429, at once and with {@code Retry-After}, so admitted requests keep
 * their latency and the rest are refused quickly instead of queueing. The places are
 * {@link GenerationSlots}, shared with the event-bus bridge.
 */
final class GenerationLimits implements Handler<RoutingContext> {

    static final int RETRY_AFTER_SECONDS = GenerationSlots.RETRY_AFTER_SECONDS;

    private final GenerationSlots slots;

    GenerationLimits(GenerationSlots slots) {
        this.slots = slots;
    }

    @Override
    public void handle(RoutingContext ctx) {
        switch (slots.admit(clientOf(ctx))) {
            case GenerationSlots.Admission.Refused refused -> ErrorReply.retryLater(ctx, refused.status(),
                    RETRY_AFTER_SECONDS, refused.message(), refused.openAiCode());
            case GenerationSlots.Admission.Admitted admitted -> {
                ctx.addEndHandler(done -> admitted.release().run());
                ctx.next();
            }
        }
    }

    /** Who a request counts against: its API key's name, or its address when the node has no keys. */
    static String clientOf(RoutingContext ctx) {
        String key = ctx.get(ApiKeyHandler.CLIENT);
        if (key != null) {
            return key;
        }
        var remote = ctx.request().remoteAddress();
        return remote == null ? "unknown" : remote.hostAddress();
    }
}
