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
 */
final class BridgeStreams {

    /** Set by the bridge on every inference request (a client's own value is overwritten): does the sender own the stream? */
    static final String OWNED_HEADER = "llmswarm-stream-owned";

    private final ConcurrentMap<String, SockJSSocket> owners = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Generation> running = new ConcurrentHashMap<>();

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
                    event.setRawMessage(raw.put("headers", new JsonObject().put(OWNED_HEADER, String.valueOf(owned))));
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
            Generation generation = running.get(streamId);
            if (generation != null) {
                generation.cancel();
            }
        }
    }

    boolean isOwned(String streamId) {
        return owners.containsKey(streamId);
    }

    boolean isRunning(String streamId) {
        return running.containsKey(streamId);
    }

    /** Records a started generation; cancels it when its stream was given up in the meantime. */
    void started(String streamId, Generation generation) {
        running.put(streamId, generation);
        if (!isOwned(streamId)) {
            generation.cancel();
        }
        generation.outcome().onComplete(done -> running.remove(streamId, generation));
    }
}
