package io.llmswarm.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * An event-bus bridge client as a non-JavaScript program would write it: a WebSocket to the SockJS
 * handler's raw transport ({@code /eventbus/websocket}) speaking Vert.x's JSON frames
 * ({@code register}, {@code unregister}, {@code send} with {@code replyAddress}, {@code ping};
 * the node answers {@code rec} and {@code err}). Blocking, for tests.
 */
final class BridgeClient implements AutoCloseable {

    private static final Duration WAIT = Duration.ofSeconds(30);

    /** The bridge closes a connection that has not pinged for 10 s. */
    private static final long PING_MS = 4000;

    private final Vertx vertx;
    private final WebSocketClient client;
    private final WebSocket socket;
    private final long pingTimer;
    private final LinkedBlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();

    private BridgeClient(Vertx vertx, WebSocketClient client, WebSocket socket) {
        this.vertx = vertx;
        this.client = client;
        this.socket = socket;
        // The raw transport writes each frame as a binary WebSocket message: read data of either kind.
        socket.handler(data -> {
            JsonObject frame = new JsonObject(data);
            if (!"pong".equals(frame.getString("type"))) { // an answer to a ping, if the bridge sends one
                frames.add(frame);
            }
        });
        this.pingTimer = vertx.setPeriodic(PING_MS, id -> socket.writeTextMessage("{\"type\":\"ping\"}"));
    }

    static BridgeClient connect(Vertx vertx, int port) throws Exception {
        return connect(vertx, port, null);
    }

    /** With {@code apiKey} (or none when null) as the {@code access_token} a browser would send. */
    static BridgeClient connect(Vertx vertx, int port, String apiKey) throws Exception {
        WebSocketClient client = vertx.createWebSocketClient();
        String path = "/eventbus/websocket" + (apiKey == null ? "" : "?access_token=" + apiKey);
        WebSocket socket = client.connect(port, "127.0.0.1", path).await(10, TimeUnit.SECONDS);
        return new BridgeClient(vertx, client, socket);
    }

    void register(String address) throws Exception {
        write(new JsonObject().put("type", "register").put("address", address));
    }

    void unregister(String address) throws Exception {
        write(new JsonObject().put("type", "unregister").put("address", address));
    }

    void send(String address, Object body, String replyAddress) throws Exception {
        JsonObject frame = new JsonObject().put("type", "send").put("address", address).put("body", body);
        if (replyAddress != null) {
            frame.put("replyAddress", replyAddress);
        }
        write(frame);
    }

    void publish(String address, Object body) throws Exception {
        write(new JsonObject().put("type", "publish").put("address", address).put("body", body));
    }

    private void write(JsonObject frame) throws Exception {
        socket.writeTextMessage(frame.encode()).await(10, TimeUnit.SECONDS);
    }

    /** The next frame, failing after the wait. */
    JsonObject next() throws InterruptedException {
        JsonObject frame = frames.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (frame == null) {
            throw new AssertionError("no frame from the bridge within " + WAIT);
        }
        return frame;
    }

    /** The next frame that matches, skipping (and returning in {@code skipped}) the others. */
    JsonObject next(Predicate<JsonObject> wanted, List<JsonObject> skipped) throws InterruptedException {
        while (true) {
            JsonObject frame = next();
            if (wanted.test(frame)) {
                return frame;
            }
            skipped.add(frame);
        }
    }

    JsonObject next(Predicate<JsonObject> wanted) throws InterruptedException {
        return next(wanted, new ArrayList<>());
    }

    /** A fresh random stream id (also good as a reply address). */
    static String newStreamId() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    /** Is {@code frame} a message the node delivered on {@code address}? */
    static boolean isRec(JsonObject frame, String address) {
        return "rec".equals(frame.getString("type")) && address.equals(frame.getString("address"));
    }

    /** A request sent on a fresh stream: its id, its token address and the node's reply frame. */
    record Started(String streamId, String address, JsonObject reply) {

        String requestId() {
            return reply.getJsonObject("body").getString("request_id");
        }
    }

    /** Registers a fresh stream and sends {@code request} on it with a reply address; returns the reply. */
    Started startStream(JsonObject request) throws Exception {
        String streamId = newStreamId();
        String tokens = BridgeAddresses.tokens(streamId);
        register(tokens);
        String replyAddress = newStreamId();
        send(BridgeAddresses.INFERENCE, request.copy().put("stream_id", streamId), replyAddress);
        return new Started(streamId, tokens, next(f -> replyAddress.equals(f.getString("address"))));
    }

    /**
     * A round trip: a request the node refuses at once (a malformed stream id), and its reply. A
     * connection's frames are handled in order, so every frame sent before has been handled then.
     */
    void roundTrip() throws Exception {
        String replyAddress = newStreamId();
        send(BridgeAddresses.INFERENCE, new JsonObject().put("stream_id", "x"), replyAddress);
        next(f -> replyAddress.equals(f.getString("address")));
    }

    /** The body of the next message on the stream at {@code address}. */
    JsonObject nextOn(String address) throws InterruptedException {
        return next(f -> isRec(f, address)).getJsonObject("body");
    }

    /** Reads a stream to its end: every token message, then the final one. */
    List<JsonObject> readStream(String address) throws InterruptedException {
        List<JsonObject> messages = new ArrayList<>();
        while (true) {
            JsonObject body = nextOn(address);
            messages.add(body);
            if (!"token".equals(body.getString("type"))) {
                return messages;
            }
        }
    }

    /** A frame that arrives within {@code wait}, or null. */
    JsonObject poll(Duration wait) throws InterruptedException {
        return frames.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() throws Exception {
        vertx.cancelTimer(pingTimer);
        socket.close().await(10, TimeUnit.SECONDS);
        client.close().await(10, TimeUnit.SECONDS);
    }
}
