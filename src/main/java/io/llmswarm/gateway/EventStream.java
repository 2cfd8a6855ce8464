package io.llmswarm.gateway;

import io.llmswarm.cluster.SwarmNotReadyException;
import io.llmswarm.coordinator.GenerateJson;
import io.llmswarm.coordinator.GeneratedToken;
import io.llmswarm.coordinator.GenerationOutcome;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * One generation as Server-Sent Events: an unnamed {@code data:} event per token
 * ({@code {"index", "id", "text", "logprob"}}), then a {@code done} event with the whole response
 * and its metadata, or an {@code error} event with the reason. Tokens arrive on the coordinator's
 * event loop; every write hops onto the request's context, in order.
 */
final class EventStream {

    private final HttpServerResponse response;
    private final Context context;

    EventStream(HttpServerResponse response, Context context) {
        this.response = response;
        this.context = context;
    }

    /**
     * Sends the headers now, so the client sees the stream open; a closed connection calls
     * {@code onClose}. Called on the request's context, so it runs before any queued token write.
     */
    void open(String requestId, Runnable onClose) {
        response.closeHandler(closed -> onClose.run());
        if (response.closed()) {
            onClose.run();
            return;
        }
        response.setChunked(true).putHeader("Content-Type", "text/event-stream")
                .putHeader("Cache-Control", "no-cache").putHeader("X-Accel-Buffering", "no")
                .putHeader(InferenceHandler.REQUEST_ID_HEADER, requestId);
        response.writeHead();
    }

    void token(GeneratedToken token) {
        JsonObject json = GenerateJson.token(token);
        context.runOnContext(v -> write(null, json));
    }

    void finish(GenerationOutcome outcome, Throwable failure) {
        context.runOnContext(v -> {
            if (failure == null) {
                write("done", GenerateJson.response(outcome));
            } else {
                String kind = failure instanceof SwarmNotReadyException ? "not_ready"
                        : failure instanceof IllegalArgumentException ? "bad_request" : "failed";
                write("error", new JsonObject().put("error", String.valueOf(failure.getMessage())).put("kind", kind));
            }
            if (!response.closed() && !response.ended()) {
                response.end();
            }
        });
    }

    private void write(String event, JsonObject data) {
        if (response.closed() || response.ended()) {
            return;
        }
        String frame = (event == null ? "" : "event: " + event + "\n") + "data: " + data.encode() + "\n\n";
        response.write(frame);
    }
}
