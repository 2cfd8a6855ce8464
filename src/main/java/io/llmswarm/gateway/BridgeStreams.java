package io.llmswarm.gateway;

import io.llmswarm.coordinator.Generation;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Which bridge connection owns which token stream on this node, and the generation running on it.
 * The first connection to register {@code swarm.public.tokens.<id>} owns that id; another
 * connection's register of the same address is rejected, a request may only name a stream its own
 * connection owns, and tokens are delivered on this node only. So a client receives its own tokens
 * and nobody else's. Unregistering the stream (or closing the connection) cancels its generation.
 * A generation holds one of the gateway's {@link GenerationSlots} from its admission until it ends
 * or its stream is given up, whichever comes first; the sender counts as the HTTP API counts it.
 */
final class BridgeStreams {

    /** Set by the bridge on every inference request (a client's own value is overwritten): does the sender own the stream? */
    static final String OWNED_HEADER = "llmswarm-stream-owned";

    /** Set by the bridge on every inference request (a client's own value is overwritten): whom it counts against. */
    static final String CLIENT_HEADER = "llmswarm-client";

    private final GenerationSlots slots;
    private final ConcurrentMap<String, SockJSSocket> owners = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Running> running = new ConcurrentHashMap<>();

    /** A started generation and the release of its place. */
    private record Running(Generation generation, Runnable release) {

        void stop() {
            generation.cancel();
            release.run();
        }
    }

    BridgeStreams(GenerationSlots slots) {
        this.slots = slots;
    }

    /** The bridge's event hook: runs before the permits are checked, on the connection's event loop. */
    void handle(BridgeEvent event) {
        JsonObject raw = event.getRawMessage();
        String address = raw == null ? null : raw.getString("address");
        switch (event.type()) {
            case REGISTER -> event.complete(register(event.socket(), address));
            case UNREGISTER -> {
                unregister(event.socket(), address);
                event.complete(true);
            }
            case SEND -> {
                if (BridgeAddresses.INFERENCE.equals(address)) {
                    Object body = raw.getValue("body");
                    String streamId = body instanceof JsonObject json && json.getValue("stream_id") instanceof String id ? id : null;
                    boolean owned = streamId != null && owners.get(streamId) == event.socket();
                    event.setRawMessage(raw.put("headers", new JsonObject().put(OWNED_HEADER, String.valueOf(owned))
                            .put(CLIENT_HEADER, clientOf(event.socket()))));
                }
                event.complete(true);
            }
            // Requests want one answer and one stream: a publish to the inference address is refused.
            case PUBLISH -> event.complete(!BridgeAddresses.INFERENCE.equals(address));
            case SOCKET_CLOSED -> {
                owners.forEach((id, owner) -> {
                    if (owner == event.socket()) {
                        unregister(owner, BridgeAddresses.tokens(id));
                    }
                });
                event.complete(true);
            }
            default -> event.complete(true);
        }
    }

    private boolean register(SockJSSocket socket, String address) {
        String streamId = BridgeAddresses.streamIdOf(address);
        if (streamId == null) {
            return true; // not a token stream: the permits decide
        }
        SockJSSocket owner = owners.putIfAbsent(streamId, socket);
        return owner == null || owner == socket;
    }

    private void unregister(SockJSSocket socket, String address) {
        String streamId = BridgeAddresses.streamIdOf(address);
        if (streamId != null && owners.remove(streamId, socket)) {
            Running run = running.get(streamId);
            if (run != null) {
                run.stop();
            }
        }
    }

    /** Like an HTTP request: the API key the connection opened with, else its address. */
    private static String clientOf(SockJSSocket socket) {
        if (socket.routingContext() != null) {
            return GenerationLimits.clientOf(socket.routingContext());
        }
        return socket.remoteAddress() == null ? "unknown" : socket.remoteAddress().hostAddress();
    }

    /** A place for a generation of the request's sender (see {@link #CLIENT_HEADER}), or why not. */
    GenerationSlots.Admission admit(String client) {
        return slots.admit(client == null ? "unknown" : client);
    }

    boolean isOwned(String streamId) {
        return owners.containsKey(streamId);
    }

    boolean isRunning(String streamId) {
        return running.containsKey(streamId);
    }

    /**
     * Records a started generation holding the place {@code release} gives back: when it ends in any
     * way, or at once when its stream was given up in the meantime (the generation is cancelled then).
     */
    void started(String streamId, Generation generation, Runnable release) {
        Running started = new Running(generation, release);
        running.put(streamId, started);
        if (!isOwned(streamId)) {
            started.stop();
        }
        generation.outcome().onComplete(done -> {
            running.remove(streamId, started);
            release.run();
        });
    }
}
