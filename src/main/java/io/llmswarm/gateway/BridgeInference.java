package io.llmswarm.gateway;

import io.llmswarm.coordinator.Coordinator;
import io.llmswarm.coordinator.GenerateJson;
import io.llmswarm.coordinator.GenerateRequest;
import io.llmswarm.coordinator.GeneratedToken;
import io.llmswarm.coordinator.Generation;
import io.llmswarm.coordinator.GenerationFailure;
import io.llmswarm.coordinator.GenerationOutcome;
import io.llmswarm.coordinator.GenerationStart;
import io.llmswarm.coordinator.ShardTiming;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Generation requests from event-bus bridge clients on {@link BridgeAddresses#INFERENCE}, taken by
 * this node only. A request {@code {"stream_id", "prompt" | "messages", "max_tokens",
 * "temperature", ...}} (the keys of {@code POST /api/inference}, {@code raw} and {@code system}
 * included; {@code messages} are rendered with the model's chat template) is answered with {@code {"request_id", "stream_id"}}, or failed with
 * 400, 403 (the stream is not the sender's), 409 (a generation already runs on it), 429 or 503
 * (the gateway's limits, as on HTTP, or a swarm that is not ready; a limit's refusal starts nothing
 * on the shards and says when to try again). Its
 * stream {@code swarm.public.tokens.<stream_id>} gets {@code {"type": "token", "index", "id",
 * "text", "logprob", "shards"}} per token, where {@code shards} holds each hop's timings so far,
 * then {@code {"type": "done", ...}} with the whole answer, or {@code {"type": "error", "error"}}.
 */
final class BridgeInference {

    static final String ENDPOINT = "/eventbus";

    /** Tokens go to the connection on this node that owns the stream, never to another node. */
    private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

    private final Vertx vertx;
    private final Coordinator coordinator;
    private final GenerationStart generations;
    private final ServedModel model;
    private final GatewayMetrics metrics;
    private final BridgeStreams streams;

    BridgeInference(Vertx vertx, Coordinator coordinator, GenerationStart generations, ServedModel model,
                    GatewayMetrics metrics, BridgeStreams streams) {
        this.vertx = vertx;
        this.coordinator = coordinator;
        this.generations = generations;
        this.model = model;
        this.metrics = metrics;
        this.streams = streams;
    }

    Future<Void> listen() {
        return vertx.eventBus().<Object>localConsumer(BridgeAddresses.INFERENCE, this::handle).completion();
    }

    private void handle(Message<Object> message) {
        if (!(message.body() instanceof JsonObject body)) {
            refuse(message, null, 400, "expected a JSON object {\"stream_id\", \"prompt\" or \"messages\", ...}; got "
                    + (message.body() == null ? "nothing" : Json.encode(message.body())));
            return;
        }
        Object id = body.getValue("stream_id");
        if (!(id instanceof String streamId) || !BridgeAddresses.STREAM_ID.matcher(streamId).matches()) {
            refuse(message, null, 400, "\"stream_id\" must be 16-64 letters, digits, '-' or '_' (random, chosen by"
                    + " the client); got " + Json.encode(id));
            return;
        }
        if (!"true".equals(message.headers().get(BridgeStreams.OWNED_HEADER))) {
            refuse(message, null, 403, "stream " + streamId + " is not this connection's: register "
                    + BridgeAddresses.tokens(streamId) + " on this connection before sending the request");
            return;
        }
        if (streams.isRunning(streamId)) {
            refuse(message, streamId, 409, "a generation is already running on stream " + streamId);
            return;
        }
        GenerateRequest request;
        try {
            request = read(body);
        } catch (IllegalArgumentException | ClassCastException e) {
            refuse(message, streamId, GenerationFailure.ofRequest(e));
            return;
        }
        try {
            // Before a place is taken: a swarm that cannot serve says so rather than "try again in a second".
            generations.requireReady();
        } catch (RuntimeException e) {
            refuse(message, streamId, GenerationFailure.of(e));
            return;
        }
        switch (streams.admit(message.headers().get(BridgeStreams.CLIENT_HEADER))) {
            case GenerationSlots.Admission.Refused refused -> refuse(message, streamId, refused.status(),
                    refused.message(), new JsonObject().put("retry_after", GenerationSlots.RETRY_AFTER_SECONDS));
            case GenerationSlots.Admission.Admitted admitted -> start(message, streamId, request, admitted.release());
        }
    }

    private void start(Message<Object> message, String streamId, GenerateRequest request, Runnable release) {
        String address = BridgeAddresses.tokens(streamId);
        AtomicReference<Generation> running = new AtomicReference<>();
        generations.start(request, token -> vertx.eventBus().send(address, tokenMessage(token, running.get()), LOCAL))
                .onFailure(cause -> {
                    release.run();
                    refuse(message, streamId, GenerationFailure.of(cause));
                })
                .onSuccess(generation -> {
                    running.set(generation);
                    metrics.track(ENDPOINT, generation);
                    streams.started(streamId, generation, release);
                    message.reply(new JsonObject().put("request_id", generation.requestId()).put("stream_id", streamId));
                    generation.outcome().onComplete(done -> vertx.eventBus().send(address, done.succeeded()
                            ? doneMessage(done.result()) : failedMessage(GenerationFailure.of(done.cause())), LOCAL));
                });
    }

    /** A failure as the stream tells it: what went wrong, its status, and when to try again if that may help. */
    private static JsonObject failedMessage(GenerationFailure failure) {
        JsonObject error = new JsonObject().put("type", "error").put("error", failure.message())
                .put("code", failure.status());
        return failure.retryAfterSeconds() > 0 ? error.put("retry_after", failure.retryAfterSeconds()) : error;
    }

    /**
     * The request as {@code POST /api/inference} reads it ({@link InferencePrompt#read}), the stream
     * id left out; chat messages are rendered with the template into a prompt that then goes as it is.
     */
    private GenerateRequest read(JsonObject body) {
        JsonObject inference = body.copy();
        inference.remove("stream_id");
        if (inference.containsKey("messages")) {
            if (inference.containsKey("prompt")) {
                throw new IllegalArgumentException("give either \"prompt\" or \"messages\", not both");
            }
            if (inference.containsKey("raw") || inference.containsKey("system")) {
                throw new IllegalArgumentException("\"raw\" and \"system\" go with \"prompt\"; with \"messages\","
                        + " give the system message as the first message");
            }
            inference.put("prompt", model.chatTemplate().prompt(OpenAiRequest.messages(inference)));
            inference.remove("messages");
            inference.put("raw", true);
        }
        return InferencePrompt.read(inference, model.chatTemplate(), coordinator.model().contextLength());
    }

    private void refuse(Message<Object> message, String ownedStream, int code, String reason) {
        refuse(message, ownedStream, code, reason, new JsonObject());
    }

    private void refuse(Message<Object> message, String ownedStream, GenerationFailure failure) {
        refuse(message, ownedStream, failure.status(), failure.message(), failure.retryAfterSeconds() > 0
                ? new JsonObject().put("retry_after", failure.retryAfterSeconds()) : new JsonObject());
    }

    /** Fails the request and tells its stream, with {@code details} (such as {@code retry_after}) on the stream's error. */
    private void refuse(Message<Object> message, String ownedStream, int code, String reason, JsonObject details) {
        metrics.rejected(ENDPOINT);
        message.fail(code, reason);
        if (ownedStream != null) {
            vertx.eventBus().send(BridgeAddresses.tokens(ownedStream),
                    new JsonObject().put("type", "error").put("code", code).put("error", reason).mergeIn(details), LOCAL);
        }
    }

    /** A token with each hop's timings so far; runs on the generation's context, where its timings may be read. */
    static JsonObject tokenMessage(GeneratedToken token, Generation generation) {
        List<ShardTiming> timings = generation == null ? List.of() : generation.shardTimings();
        return GenerateJson.token(token).put("type", "token").put("shards", shards(timings));
    }

    static JsonArray shards(List<ShardTiming> timings) {
        JsonArray shards = new JsonArray();
        for (ShardTiming t : timings) {
            shards.add(new JsonObject().put("node_id", t.nodeId()).put("layers", t.layers().toString())
                    .put("steps", t.steps()).put("total_ms", t.roundTripNanos() / 1e6).put("engine_ms", t.engineNanos() / 1e6));
        }
        return shards;
    }

    private static JsonObject doneMessage(GenerationOutcome outcome) {
        return GenerateJson.response(outcome).put("type", "done");
    }
}
