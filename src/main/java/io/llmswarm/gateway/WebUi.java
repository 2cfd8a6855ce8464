package io.llmswarm.gateway;

import io.llmswarm.coordinator.Coordinator;
import io.llmswarm.coordinator.GenerationStart;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;

import java.util.regex.Pattern;

/**
 * The browser's side of the gateway: the chat page ({@code webroot/} inside node.jar, at {@code /})
 * and the SockJS event-bus bridge at {@code /eventbus} with its permits, the inference requests it
 * carries and the swarm events it sends out.
 */
final class WebUi {

    /** Where the page lies on the class path (and, when the node runs from the repository, on disk). */
    static final String WEBROOT = "webroot";

    private static final long SWARM_EVENTS_PERIOD_MS = 500;

    private WebUi() {
    }

    /**
     * The bridge's permits: clients may send only to the inference address and receive only token
     * streams and swarm events. Every other address, the shards' and coordinators' included, is refused.
     */
    static SockJSBridgeOptions bridgeOptions() {
        return new SockJSBridgeOptions()
                .addInboundPermitted(new PermittedOptions().setAddress(BridgeAddresses.INFERENCE))
                .addOutboundPermitted(new PermittedOptions().setAddressRegex(
                        Pattern.quote(BridgeAddresses.TOKENS_PREFIX) + BridgeAddresses.STREAM_ID.pattern()))
                .addOutboundPermitted(new PermittedOptions().setAddress(BridgeAddresses.EVENTS))
                .setMaxHandlersPerSocket(32);
    }

    /**
     * Mounts the bridge and the page on {@code router} (the page last: it answers what nothing else
     * did); bridge generations take their places from {@code slots}, as the HTTP API's do.
     */
    static Future<Void> mount(Vertx vertx, Router router, Coordinator coordinator, GenerationStart generations,
                              ServedModel model, GatewayMetrics metrics, GenerationSlots slots) {
        BridgeStreams streams = new BridgeStreams(slots);
        router.route("/eventbus/*").subRouter(SockJSHandler.create(vertx).bridge(bridgeOptions(), streams::handle));
        router.route().handler(StaticHandler.create(WEBROOT).setMaxAgeSeconds(60));
        new SwarmEvents(vertx, coordinator).start(SWARM_EVENTS_PERIOD_MS);
        return new BridgeInference(vertx, coordinator, generations, model, metrics, streams).listen();
    }
}
