package io.llmswarm.gateway;

import io.llmswarm.cluster.SwarmBusyException;
import io.llmswarm.cluster.SwarmNotReadyException;
import io.llmswarm.cluster.SwarmView;
import io.llmswarm.coordinator.Coordinator;
import io.llmswarm.coordinator.GenerateJson;
import io.llmswarm.coordinator.GenerateRequest;
import io.llmswarm.coordinator.Generation;
import io.llmswarm.coordinator.GenerationOutcome;
import io.llmswarm.inference.FinishReason;
import io.llmswarm.coordinator.TokenListener;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code POST /api/inference}: reads the source documents' JSON request (whatever its Content-Type
 * says), puts the prompt into the model's chat template unless it is {@code "raw"} (see
 * {@link InferencePrompt}), checks the swarm is ready, and answers with the whole result, or streams Server-Sent Events when the body says
 * {@code "stream": true} or the client accepts {@code text/event-stream}.
 */
final class InferenceHandler implements Handler<RoutingContext> {

    /** Names the request in every answer, so a client can find its pipeline state before the end. */
    static final String REQUEST_ID_HEADER = "X-Request-Id";

    private static final String ENDPOINT = "/api/inference";

    private final Coordinator coordinator;
    private final ServedModel model;
    private final GatewayMetrics metrics;

    InferenceHandler(Coordinator coordinator, ServedModel model, GatewayMetrics metrics) {
        this.coordinator = coordinator;
        this.model = model;
        this.metrics = metrics;
    }

    @Override
    public void handle(RoutingContext ctx) {
        JsonObject body;
        GenerateRequest request;
        boolean stream;
        try {
            body = InferencePrompt.apply(HttpJson.body(ctx, "\"prompt\""), model.chatTemplate());
            RequestCheck.check(body, coordinator.model().contextLength());
            request = GenerateJson.request(body);
            stream = body.getBoolean("stream", false) || acceptsEventStream(ctx);
        } catch (IllegalArgumentException e) {
            metrics.rejected(ENDPOINT);
            HttpJson.error(ctx, 400, e.getMessage());
            return;
        } catch (ClassCastException e) {
            metrics.rejected(ENDPOINT);
            HttpJson.error(ctx, 400, RequestCheck.WRONG_TYPE);
            return;
        }
        SwarmView view = coordinator.status();
        if (!view.isReady()) {
            metrics.rejected(ENDPOINT);
            HttpJson.notReady(ctx, view);
            return;
        }
        if (stream) {
            EventStream events = new EventStream(ctx.response(), ctx.vertx().getOrCreateContext(),
                    cause -> fail(ctx, cause), EventStream.inference(coordinator.model().tokenizer()));
            Generation generation = start(ctx, request, events::token);
            if (generation != null) {
                events.open(generation.requestId(), generation::cancel);
                generation.outcome().onComplete(done -> {
                    Throwable failure = done.failed() ? done.cause() : promptTooLong(done.result());
                    events.finish(done.result(), failure);
                });
            }
        } else {
            Generation generation = start(ctx, request, TokenListener.none());
            if (generation != null) {
                ctx.response().putHeader(REQUEST_ID_HEADER, generation.requestId());
                // A client that goes away does not need the rest of its answer.
                ctx.response().closeHandler(closed -> generation.cancel());
                generation.outcome().onComplete(done -> {
                    Throwable failure = done.failed() ? done.cause() : promptTooLong(done.result());
                    if (failure == null) {
                        HttpJson.send(ctx, 200, GenerateJson.response(done.result()));
                    } else {
                        fail(ctx, failure);
                    }
                });
            }
        }
    }

    private Generation start(RoutingContext ctx, GenerateRequest request, TokenListener listener) {
        try {
            Generation generation = coordinator.generate(request, listener);
            metrics.track(ENDPOINT, generation);
            return generation;
        } catch (RuntimeException e) {
            metrics.rejected(ENDPOINT);
            fail(ctx, e);
            return null;
        }
    }

    /** A prompt that fills the whole context leaves no room for a single token: the client's error. */
    private IllegalArgumentException promptTooLong(GenerationOutcome outcome) {
        int context = coordinator.model().contextLength();
        if (outcome.tokens().isEmpty() && outcome.finishReason() == FinishReason.CONTEXT_FULL
                && outcome.promptTokens().length >= context) {
            return new IllegalArgumentException("\"prompt\" is " + outcome.promptTokens().length
                    + " tokens long; the model's context holds " + context + " tokens");
        }
        return null;
    }

    private void fail(RoutingContext ctx, Throwable cause) {
        if (cause instanceof SwarmNotReadyException) {
            HttpJson.notReady(ctx, coordinator.status());
        } else if (cause instanceof SwarmBusyException) {
            ErrorReply.retryLater(ctx, 503, GenerationLimits.RETRY_AFTER_SECONDS, cause.getMessage(), "overloaded");
        } else if (cause instanceof IllegalArgumentException) {
            HttpJson.error(ctx, 400, cause.getMessage());
        } else {
            HttpJson.error(ctx, 500, "the generation failed: " + cause.getMessage());
        }
    }

    private static boolean acceptsEventStream(RoutingContext ctx) {
        String accept = ctx.request().getHeader("Accept");
        return accept != null && accept.contains("text/event-stream");
    }
}
