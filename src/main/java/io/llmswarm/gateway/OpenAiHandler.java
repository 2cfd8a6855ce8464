package io.llmswarm.gateway;

import io.llmswarm.cluster.SwarmBusyException;
import io.llmswarm.cluster.SwarmNotReadyException;
import io.llmswarm.cluster.SwarmView;
import io.llmswarm.coordinator.Coordinator;
import io.llmswarm.coordinator.GenerateJson;
import io.llmswarm.coordinator.GenerateRequest;
import io.llmswarm.coordinator.Generation;
import io.llmswarm.coordinator.TokenListener;
import io.llmswarm.tokenizer.Tokenizer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.UUID;

/**
 * The OpenAI-compatible API: {@code GET /v1/models}, {@code POST /v1/completions} and
 * {@code POST /v1/chat/completions}, whole or streamed ({@code "stream": true}: {@code data:}
 * chunks ending with {@code data: [DONE]}). Chat messages are rendered with the model's template
 * and tokenized with special tokens recognised, so the template's markers become control tokens.
 */
final class OpenAiHandler {

    private final Coordinator coordinator;
    private final ServedModel model;
    private final GatewayMetrics metrics;

    OpenAiHandler(Coordinator coordinator, ServedModel model, GatewayMetrics metrics) {
        this.coordinator = coordinator;
        this.model = model;
        this.metrics = metrics;
    }

    void models(RoutingContext ctx) {
        HttpJson.send(ctx, 200, new JsonObject().put("object", "list").put("data", new JsonArray().add(modelEntry())));
    }

    /** {@code GET /v1/models/{id}}, which clients such as openai's {@code models.retrieve} call. */
    void model(RoutingContext ctx) {
        String id = ctx.pathParam("model");
        if (id.equals(model.name()) || id.equals(coordinator.model().fingerprint())) {
            HttpJson.send(ctx, 200, modelEntry());
        } else {
            HttpJson.send(ctx, 404, OpenAiJson.error("the model \"" + id + "\" is not served here; this swarm serves \""
                    + model.name() + "\"", "invalid_request_error", "model_not_found"));
        }
    }

    /** Any other {@code /v1/...} request: an OpenAI error rather than an HTML page, as OpenAI answers it. */
    void unknown(RoutingContext ctx) {
        HttpJson.send(ctx, 404, OpenAiJson.error("Invalid URL (" + ctx.request().method() + " " + ctx.request().path()
                + "): this node serves GET /v1/models, POST /v1/completions and POST /v1/chat/completions",
                "invalid_request_error", null));
    }

    private JsonObject modelEntry() {
        return new JsonObject().put("id", model.name()).put("object", "model").put("created", 0)
                .put("owned_by", "llm-swarm").put("fingerprint", coordinator.model().fingerprint())
                .put("context_length", coordinator.model().contextLength());
    }

    void completions(RoutingContext ctx) {
        handle(ctx, false);
    }

    void chatCompletions(RoutingContext ctx) {
        handle(ctx, true);
    }

    private void handle(RoutingContext ctx, boolean chat) {
        Tokenizer tokenizer = coordinator.model().tokenizer();
        int context = coordinator.model().contextLength();
        OpenAiRequest request;
        GenerateRequest textRequest;
        try {
            request = OpenAiRequest.read(HttpJson.body(ctx, chat ? "\"messages\"" : "\"prompt\""), chat, model, context);
            textRequest = GenerateJson.request(request.inference());
        } catch (IllegalArgumentException | ClassCastException e) {
            fail(ctx, e);
            return;
        }
        SwarmView view = coordinator.status();
        if (!view.isReady()) {
            fail(ctx, new SwarmNotReadyException(view.notReadyReason()));
            return;
        }
        // Chat templates' markers must become their control tokens, so the gateway tokenizes.
        ctx.vertx().executeBlocking(() -> tokenizer.encode(request.prompt(), true, true)).onComplete(encoded -> {
            if (encoded.failed()) {
                fail(ctx, encoded.cause());
                return;
            }
            int[] tokens = encoded.result();
            if (tokens.length >= context) {
                fail(ctx, new IllegalArgumentException("\"" + (chat ? "messages" : "prompt") + "\" is " + tokens.length
                        + " tokens long; the model's context holds " + context + " tokens"));
                return;
            }
            // The text goes on (the coordinator tokenizes it the same way): a llama.cpp replica takes text only.
            start(ctx, request, textRequest);
        });
    }

    private void start(RoutingContext ctx, OpenAiRequest request, GenerateRequest generate) {
        String id = (request.chat() ? "chatcmpl-" : "cmpl-") + UUID.randomUUID();
        long created = System.currentTimeMillis() / 1000;
        Tokenizer tokenizer = coordinator.model().tokenizer();
        if (request.stream()) {
            OpenAiChunks chunks = new OpenAiChunks(request, id, created, model.name(), tokenizer);
            EventStream events = new EventStream(ctx.response(), ctx.vertx().getOrCreateContext(),
                    cause -> fail(ctx, cause), chunks);
            Generation generation = generate(ctx, generate, events::token);
            if (generation != null) {
                events.open(generation.requestId(), generation::cancel);
                generation.outcome().onComplete(done -> events.finish(done.result(), done.cause()));
            }
            return;
        }
        Generation generation = generate(ctx, generate, TokenListener.none());
        if (generation != null) {
            ctx.response().putHeader(InferenceHandler.REQUEST_ID_HEADER, generation.requestId());
            ctx.response().closeHandler(closed -> generation.cancel());
            generation.outcome().onComplete(done -> {
                if (done.succeeded()) {
                    HttpJson.send(ctx, 200, OpenAiJson.completion(request, done.result(), id, created, model.name(),
                            tokenizer));
                } else {
                    fail(ctx, done.cause());
                }
            });
        }
    }

    private Generation generate(RoutingContext ctx, GenerateRequest request, TokenListener listener) {
        try {
            Generation generation = coordinator.generate(request, listener);
            metrics.track(ctx.request().path(), generation);
            return generation;
        } catch (RuntimeException e) {
            metrics.rejected(ctx.request().path());
            fail(ctx, e);
            return null;
        }
    }

    private void fail(RoutingContext ctx, Throwable cause) {
        if (cause instanceof SwarmNotReadyException) {
            ctx.response().putHeader("Retry-After", HttpJson.RETRY_AFTER_SECONDS);
            HttpJson.send(ctx, 503, OpenAiJson.error(cause.getMessage(), "service_unavailable", "swarm_not_ready"));
        } else if (cause instanceof SwarmBusyException) {
            ErrorReply.retryLater(ctx, 503, GenerationLimits.RETRY_AFTER_SECONDS, cause.getMessage(), "overloaded");
        } else if (cause instanceof IllegalArgumentException) {
            HttpJson.send(ctx, 400, OpenAiJson.error(cause.getMessage(), "invalid_request_error", null));
        } else if (cause instanceof ClassCastException) {
            HttpJson.send(ctx, 400, OpenAiJson.error(RequestCheck.WRONG_TYPE, "invalid_request_error", null));
        } else {
            HttpJson.send(ctx, 500, OpenAiJson.error("the generation failed: " + cause.getMessage(), "server_error", null));
        }
    }
}
