package io.llmswarm.gateway;

import io.llmswarm.coordinator.Coordinator;
import io.llmswarm.coordinator.GenerateJson;
import io.llmswarm.coordinator.GenerateRequest;
import io.llmswarm.coordinator.Generation;
import io.llmswarm.coordinator.GenerationFailure;
import io.llmswarm.coordinator.GenerationOutcome;
import io.llmswarm.coordinator.GenerationStart;
import io.llmswarm.coordinator.TokenListener;
import io.llmswarm.inference.FinishReason;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code POST /api/inference}: reads the source documents' JSON request (whatever its Content-Type
 * says), puts the prompt into the model's chat template unless it is {@code "raw"} (see
 * {@link InferencePrompt}), starts it through {@link GenerationStart}, and answers with the whole
 * result, or streams Server-Sent Events when the body says {@code "stream": true} or the client
 * accepts {@code text/event-stream}. Failures are answered as {@link GenerationFailure} says.
 */
final class InferenceHandler implements Handler<RoutingContext> {

    /** Names the request in every answer, so a client can find its pipeline state before the end. */
    static final String REQUEST_ID_HEADER = "X-Request-Id";

    private static final String ENDPOINT = "/api/inference";

    private final Coordinator coordinator;
    private final GenerationStart generations;
    private final ServedModel model;
    private final GatewayMetrics metrics;

    InferenceHandler(Coordinator coordinator, GenerationStart generations, ServedModel model, GatewayMetrics metrics) {
        this.coordinator = coordinator;
        this.generations = generations;
        this.model = model;
        this.metrics = metrics;
    }

    @Override
    public void handle(RoutingContext ctx) {
        GenerateRequest request;
        boolean stream;
        try {
            JsonObject body = HttpJson.body(ctx, "\"prompt\"");
            request = InferencePrompt.read(body, model.chatTemplate(), coordinator.model().contextLength());
            stream = body.getBoolean("stream", false) || acceptsEventStream(ctx);
        } catch (IllegalArgumentException | ClassCastException e) {
            metrics.rejected(ENDPOINT);
            fail(ctx, GenerationFailure.ofRequest(e));
            return;
        }
        if (stream) {
            EventStream events = new EventStream(ctx.response(), ctx.vertx().getOrCreateContext(),
                    cause -> fail(ctx, cause), EventStream.inference(coordinator.model().tokenizer()));
            start(ctx, request, events::token).onSuccess(generation -> {
                events.open(generation.requestId(), generation::cancel);
                generation.outcome().onComplete(done -> {
                    Throwable failure = done.failed() ? done.cause() : promptTooLong(done.result());
                    events.finish(done.result(), failure);
                });
            });
        } else {
            start(ctx, request, TokenListener.none()).onSuccess(generation -> {
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
            });
        }
    }

    /** The running generation; a refusal is answered here and counted. */
    private Future<Generation> start(RoutingContext ctx, GenerateRequest request, TokenListener listener) {
        return generations.start(request, listener)
                .onSuccess(generation -> metrics.track(ENDPOINT, generation))
                .onFailure(cause -> {
                    metrics.rejected(ENDPOINT);
                    fail(ctx, cause);
                });
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
        fail(ctx, GenerationFailure.of(cause));
    }

    private void fail(RoutingContext ctx, GenerationFailure failure) {
        ErrorReply.generationFailed(ctx, failure, coordinator.status());
    }

    private static boolean acceptsEventStream(RoutingContext ctx) {
        String accept = ctx.request().getHeader("Accept");
        return accept != null && accept.contains("text/event-stream");
    }
}
