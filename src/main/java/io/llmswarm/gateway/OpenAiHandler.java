package io.llmswarm.gateway;

import io.llmswarm.coordinator.Coordinator;
import io.llmswarm.coordinator.GenerateJson;
import io.llmswarm.coordinator.GenerateRequest;
import io.llmswarm.coordinator.Generation;
import io.llmswarm.coordinator.GenerationFailure;
import io.llmswarm.coordinator.GenerationStart;
import io.llmswarm.coordinator.TokenListener;
import io.llmswarm.tokenizer.Tokenizer;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.UUID;

/**
 * The OpenAI-compatible API: {@code GET /v1/models}, {@code POST /v1/completions} and
 * {@code POST /v1/chat/completions}, whole or streamed ({@code "stream": true}: {@code data:}
 * chunks ending with {@code data: [DONE]}). Chat messages are rendered with the model's template
 * and tokenized with special tokens recognised, so the template's markers become control tokens;
 * {@link GenerationStart#startWithinContext} tokenizes once and refuses a prompt that fills the
 * context. Failures are answered as OpenAI errors, with the status {@link GenerationFailure} says.
 */
final class OpenAiHandler {

    private final Coordinator coordinator;
    private final GenerationStart generations;
    private final ServedModel model;
    private final GatewayMetrics metrics;

    OpenAiHandler(Coordinator coordinator, GenerationStart generations, ServedModel model, GatewayMetrics metrics) {
        this.coordinator = coordinator;
        this.generations = generations;
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
        OpenAiRequest request;
        GenerateRequest generate;
        try {
            request = OpenAiRequest.read(HttpJson.body(ctx, chat ? "\"messages\"" : "\"prompt\""), chat, model,
                    coordinator.model().contextLength());
            generate = GenerateJson.request(request.inference());
        } catch (IllegalArgumentException | ClassCastException e) {
            metrics.rejected(ctx.request().path());
            fail(ctx, GenerationFailure.ofRequest(e));
            return;
        }
        String id = (request.chat() ? "chatcmpl-" : "cmpl-") + UUID.randomUUID();
        long created = System.currentTimeMillis() / 1000;
        Tokenizer tokenizer = coordinator.model().tokenizer();
        // Chat templates' markers must become their control tokens, and a prompt that fills the
        // context is refused before anything streams: the prompt is tokenized (once) before the start.
        String field = chat ? "messages" : "prompt";
        if (request.stream()) {
            OpenAiChunks chunks = new OpenAiChunks(request, id, created, model.name(), tokenizer);
            EventStream events = new EventStream(ctx.response(), ctx.vertx().getOrCreateContext(),
                    cause -> fail(ctx, cause), chunks);
            start(ctx, generate, field, events::token).onSuccess(generation -> {
                events.open(generation.requestId(), generation::cancel);
                generation.outcome().onComplete(done -> events.finish(done.result(), done.cause()));
            });
            return;
        }
        start(ctx, generate, field, TokenListener.none()).onSuccess(generation -> {
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
        });
    }

    /** The running generation; a refusal is answered here and counted. */
    private Future<Generation> start(RoutingContext ctx, GenerateRequest request, String field, TokenListener listener) {
        return generations.startWithinContext(request, field, listener)
                .onSuccess(generation -> metrics.track(ctx.request().path(), generation))
                .onFailure(cause -> {
                    metrics.rejected(ctx.request().path());
                    fail(ctx, cause);
                });
    }

    private void fail(RoutingContext ctx, Throwable cause) {
        fail(ctx, GenerationFailure.of(cause));
    }

    private void fail(RoutingContext ctx, GenerationFailure failure) {
        ErrorReply.generationFailed(ctx, failure, coordinator.status());
    }
}
