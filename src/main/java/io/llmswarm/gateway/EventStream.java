package io.llmswarm.gateway;

import io.llmswarm.coordinator.GenerateJson;
import io.llmswarm.coordinator.GeneratedToken;
import io.llmswarm.coordinator.GenerationOutcome;
import io.llmswarm.tokenizer.Tokenizer;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

import java.util.function.Consumer;

/**
 * One generation as Server-Sent Events, framed by a {@link Format}: by default an unnamed
 * {@code data:} event per token ({@code {"index", "id", "text", "logprob"}}), then a {@code done}
 * event with the whole response and its metadata, or an {@code error} event with the reason. The
 * head goes out with the first event, so a request that fails before its first token still gets a
 * plain HTTP error status.
 * Tokens arrive on the coordinator's event loop; every write hops onto the request's context, in order.
 */
final class EventStream {

    /** The frames of one API's stream; each returns whole SSE frames ({@code data: ...\n\n}), or "" for none. */
    interface Format {
        String token(GeneratedToken token);

        String done(GenerationOutcome outcome);

        String error(Throwable failure);
    }

    /** The source documents' stream ({@code POST /api/inference}). */
    static final Format INFERENCE = new Format() {
        @Override
        public String token(GeneratedToken token) {
            return frame(null, GenerateJson.token(token));
        }

        @Override
        public String done(GenerationOutcome outcome) {
            return frame("done", GenerateJson.response(outcome));
        }

        @Override
        public String error(Throwable failure) {
            return frame("error", new JsonObject().put("error", String.valueOf(failure.getMessage())));
        }
    };

    /** The source documents' stream, with each top log-probability alternative's text. */
    static Format inference(Tokenizer tokenizer) {
        return new Format() {
            @Override
            public String token(GeneratedToken token) {
                return frame(null, GenerateJson.token(token, tokenizer));
            }

            @Override
            public String done(GenerationOutcome outcome) {
                return INFERENCE.done(outcome);
            }

            @Override
            public String error(Throwable failure) {
                return INFERENCE.error(failure);
            }
        };
    }

    private final HttpServerResponse response;
    private final Format format;
    private final Context context;
    private final Consumer<Throwable> failBeforeFirstEvent;
    private boolean started;

    EventStream(HttpServerResponse response, Context context, Consumer<Throwable> failBeforeFirstEvent) {
        this(response, context, failBeforeFirstEvent, INFERENCE);
    }

    EventStream(HttpServerResponse response, Context context, Consumer<Throwable> failBeforeFirstEvent, Format format) {
        this.response = response;
        this.format = format;
        this.context = context;
        this.failBeforeFirstEvent = failBeforeFirstEvent;
    }

    /** Sets the stream's headers; a closed connection calls {@code onClose}. Call on the request's context. */
    void open(String requestId, Runnable onClose) {
        response.closeHandler(closed -> onClose.run());
        if (response.closed()) {
            onClose.run();
            return;
        }
        response.setChunked(true).putHeader("Content-Type", "text/event-stream")
                .putHeader("Cache-Control", "no-cache").putHeader("X-Accel-Buffering", "no")
                .putHeader(InferenceHandler.REQUEST_ID_HEADER, requestId);
    }

    void token(GeneratedToken token) {
        String frame = format.token(token);
        context.runOnContext(v -> write(frame));
    }

    /** Sends the final event and ends the stream; {@code failure} null means {@code outcome} is the result. */
    void finish(GenerationOutcome outcome, Throwable failure) {
        context.runOnContext(v -> {
            if (failure != null && !started) {
                failBeforeFirstEvent.accept(failure);
                return;
            }
            write(failure == null ? format.done(outcome) : format.error(failure));
            if (!response.closed() && !response.ended()) {
                response.end();
            }
        });
    }

    private void write(String frame) {
        if (frame.isEmpty() || response.closed() || response.ended()) {
            return;
        }
        started = true;
        response.write(frame);
    }

    /** One SSE frame; {@code event} null for an unnamed one. */
    static String frame(String event, JsonObject data) {
        return (event == null ? "" : "event: " + event + "\n") + "data: " + data.encode() + "\n\n";
    }
}
