package io.llmswarm.gateway;

import io.llmswarm.cluster.SwarmView;
import io.llmswarm.coordinator.Coordinator;
import io.llmswarm.coordinator.GenerationStart;
import io.llmswarm.tokenizer.ChatMessage;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The node's HTTP API: {@code POST /api/inference} (the source documents' request, answered whole
 * or streamed as Server-Sent Events), {@code GET /api/swarm}, {@code GET /health} and
 * {@code GET /ready}, and the OpenAI-compatible {@code GET /v1/models}, {@code POST /v1/completions}
 * and {@code POST /v1/chat/completions}, {@code GET /metrics} (Prometheus text format), the web chat
 * UI at {@code /} and the SockJS event-bus bridge at {@code /eventbus} (see {@link WebUi}).
 * Whichever node a user reaches coordinates that user's request.
 */
public final class GatewayVerticle extends VerticleBase {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);

    /** Requests larger than this are refused with 413 by the body handler. */
    static final long BODY_LIMIT_BYTES = 1L << 20;

    private final Coordinator coordinator;
    private final ServedModel model;
    private final int port;
    private final PrometheusMeterRegistry registry;
    private final GatewayMetrics metrics;
    private final GatewaySettings settings;
    private volatile int boundPort = -1;
    private volatile int redirectPort = -1;
    private volatile boolean draining;
    private volatile Runnable stopRequest;

    /** {@code port} 0 binds a free port; see {@link #boundPort()}. {@code registry} is the node's own. */
    public GatewayVerticle(Coordinator coordinator, ServedModel model, int port, PrometheusMeterRegistry registry) {
        this(coordinator, model, port, registry, GatewaySettings.defaults());
    }

    /** With the listening host, API keys and limits of {@code settings}. */
    public GatewayVerticle(Coordinator coordinator, ServedModel model, int port, PrometheusMeterRegistry registry,
                           GatewaySettings settings) {
        this.coordinator = coordinator;
        this.model = model;
        this.port = port;
        this.registry = registry;
        this.metrics = new GatewayMetrics(registry);
        this.settings = settings;
    }

    @Override
    public Future<?> start() {
        checkChatTemplate();
        Router router = Router.router(vertx);
        JsonErrors.install(router);
        // Before all: a page of another site is refused before anything runs (listed ones get CORS headers).
        router.route().handler(new OriginGuard(settings.allowedOrigins(), metrics));
        // Then: a request without a valid key is refused before anything reads its body.
        router.route().handler(new ApiKeyHandler(settings.apiKeys()));
        // A draining node starts nothing new: its load balancer and clients go to another node.
        router.post().handler(ctx -> {
            if (draining && (ctx.request().path().startsWith("/api/inference") || ctx.request().path().startsWith("/v1/"))) {
                ErrorReply.retryLater(ctx, 503, Integer.parseInt(HttpJson.RETRY_AFTER_SECONDS),
                        "this node is draining before it stops: send the request to another node", "node_draining");
            } else {
                ctx.next();
            }
        });
        GenerationSlots slots = new GenerationSlots(settings.limits()); // shared by HTTP and the bridge
        GenerationStart generations = new GenerationStart(vertx, coordinator); // every entry point starts through it
        GenerationLimits limits = new GenerationLimits(slots);
        router.route("/api/*").handler(JsonBodies::readAsJson);
        router.route("/api/*").handler(BodyHandler.create().setBodyLimit(BODY_LIMIT_BYTES));
        router.post("/api/inference").handler(limits).handler(new InferenceHandler(coordinator, generations, model, metrics));
        router.get("/api/requests/:id").handler(this::pipelineState);
        router.get("/api/swarm").handler(ctx -> HttpJson.send(ctx, 200, SwarmJson.view(vertx, coordinator)));
        JsonBodies.onlyMethod(router, "/api/inference", HttpMethod.POST);
        JsonBodies.onlyMethod(router, "/api/requests/:id", HttpMethod.GET);
        JsonBodies.onlyMethod(router, "/api/swarm", HttpMethod.GET);
        router.route("/v1/*").handler(JsonBodies::readAsJson);
        router.route("/v1/*").handler(BodyHandler.create().setBodyLimit(BODY_LIMIT_BYTES));
        OpenAiHandler openAi = new OpenAiHandler(coordinator, generations, model, metrics);
        router.get("/v1/models").handler(openAi::models);
        router.get("/v1/models/:model").handler(openAi::model);
        router.post("/v1/completions").handler(limits).handler(openAi::completions);
        router.post("/v1/chat/completions").handler(limits).handler(openAi::chatCompletions);
        JsonBodies.onlyMethod(router, "/v1/models", HttpMethod.GET);
        JsonBodies.onlyMethod(router, "/v1/models/:model", HttpMethod.GET);
        JsonBodies.onlyMethod(router, "/v1/completions", HttpMethod.POST);
        JsonBodies.onlyMethod(router, "/v1/chat/completions", HttpMethod.POST);
        router.route("/v1/*").last().handler(openAi::unknown);
        router.get("/health").handler(ctx -> HttpJson.send(ctx, 200, new JsonObject().put("status", "live")));
        router.post("/admin/drain").handler(this::drainRequested);
        router.get("/ready").handler(this::ready);
        router.get("/metrics").handler(ctx -> ctx.response()
                .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(registry.scrape()));
        JsonBodies.onlyMethod(router, "/health", HttpMethod.GET);
        JsonBodies.onlyMethod(router, "/ready", HttpMethod.GET);
        JsonBodies.onlyMethod(router, "/metrics", HttpMethod.GET);
        Future<Void> webUi = WebUi.mount(vertx, router, coordinator, generations, model, metrics, slots);
        HttpServerOptions options = new HttpServerOptions();
        if (settings.https()) {
            options.setSsl(true).setKeyCertOptions(settings.tls().keyCertOptions());
        }
        HttpServer server = vertx.createHttpServer(options).requestHandler(router)
                .invalidRequestHandler(JsonBodies::invalidRequest)
                // A client that goes away mid-answer, or sends what the codec refuses, is the client's
                // fault: a debug line, not an error with a stack trace.
                .exceptionHandler(e -> LOG.debug("client connection: {}", String.valueOf(e)));
        Future<Void> listening = webUi.compose(ignored -> server.listen(port, settings.host())
                .onSuccess(bound -> boundPort = bound.actualPort())
                .recover(e -> Future.failedFuture(new IllegalStateException("the " + (settings.https() ? "HTTPS" : "HTTP")
                        + " gateway cannot listen on " + settings.host() + ":" + port
                        + " (--http-host, --http-port; 0 picks a free one" + (settings.https()
                        ? "; --https-cert and --https-key must be a PEM certificate and its key" : "") + "): "
                        + e.getMessage(), e)))).mapEmpty();
        if (!settings.https() || settings.tls().redirectPort() == 0) {
            return listening;
        }
        return listening.compose(ignored -> HttpsRedirect.listen(vertx, settings.host(), settings.tls().redirectPort(),
                boundPort).onSuccess(bound -> redirectPort = bound));
    }

    /** Says at start, not at the first request, when the model's chat template is missing or cannot render a question. */
    private void checkChatTemplate() {
        if (!model.chatTemplate().fromModel()) {
            LOG.info("model {} has no chat template: /api/inference sends prompts as they are, chat messages use ChatML",
                    model.name());
            return;
        }
        try {
            model.chatTemplate().prompt(List.of(new ChatMessage("user", "Hello")));
        } catch (IllegalArgumentException e) {
            LOG.warn("{}; requests that need it will be refused (send \"raw\": true)", e.getMessage());
        }
    }

    /** A request's pipeline state (status, current shard, failure reason, per-shard latencies) while it is kept. */
    private void pipelineState(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        coordinator.pipelineState(id).onComplete(done -> {
            if (done.failed()) {
                HttpJson.error(ctx, 500, "cannot read the pipeline state: " + done.cause().getMessage());
            } else if (done.result().isEmpty()) {
                HttpJson.error(ctx, 404, "no pipeline state for request '" + id + "' (unknown, or expired)");
            } else {
                HttpJson.send(ctx, 200, done.result().get());
            }
        });
    }

    private void ready(RoutingContext ctx) {
        SwarmView view = coordinator.status();
        if (draining) {
            ctx.response().putHeader("Retry-After", HttpJson.RETRY_AFTER_SECONDS);
            HttpJson.send(ctx, 503, new JsonObject().put("ready", false).put("draining", true)
                    .put("error", "this node is draining before it stops"));
        } else if (view.isReady()) {
            HttpJson.send(ctx, 200, new JsonObject().put("ready", true));
        } else {
            HttpJson.notReady(ctx, view);
        }
    }

    /** What {@code POST /admin/drain} starts: the node's planned stop (drain, then leave). */
    public void onStopRequest(Runnable stop) {
        this.stopRequest = stop;
    }

    private void drainRequested(RoutingContext ctx) {
        Runnable stop = stopRequest;
        if (stop == null) {
            HttpJson.send(ctx, 501, new JsonObject().put("error", "this node cannot be stopped over HTTP (only a "
                    + "-cluster node can)"));
            return;
        }
        // Once is enough: a second request finds the node draining already.
        if (!draining) {
            vertx.executeBlocking(() -> {
                stop.run();
                return null;
            }, false);
        }
        HttpJson.send(ctx, 202, new JsonObject().put("draining", true));
    }

    /** From now on: {@code /ready} answers 503 and new generations are refused with 503 and Retry-After. */
    public void drain() {
        draining = true;
    }

    /** The port the server listens on, once started; -1 before. */
    public int boundPort() {
        return boundPort;
    }

    /** The plain-HTTP port that redirects to HTTPS, once started; -1 when there is none. */
    public int redirectPort() {
        return redirectPort;
    }
}
