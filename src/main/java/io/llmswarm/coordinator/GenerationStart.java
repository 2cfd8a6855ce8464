package io.llmswarm.coordinator;

import io.llmswarm.cluster.SwarmNotReadyException;
import io.llmswarm.cluster.SwarmView;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * How every entry point starts a generation once it has read its request: check that the swarm
 * can serve the model now, then start it on the {@link Coordinator}, and hand back the running
 * {@link Generation}, or a failed future whose cause {@link GenerationFailure#of} turns into the
 * answer. The entry points (HTTP, OpenAI, the bridge, the coordinator's event-bus address) only
 * translate formats.
 */
public final class GenerationStart {

    private final Vertx vertx;
    private final Coordinator coordinator;

    public GenerationStart(Vertx vertx, Coordinator coordinator) {
        this.vertx = vertx;
        this.coordinator = coordinator;
    }

    /**
     * Throws {@link SwarmNotReadyException} naming what is missing when the swarm cannot serve the
     * model now; for an entry point that must know before it takes a place (the bridge's slots).
     */
    public void requireReady() {
        SwarmView view = coordinator.status();
        if (!view.isReady()) {
            throw new SwarmNotReadyException(view.notReadyReason());
        }
    }

    /** Starts {@code request} when the swarm is ready; tokens stream to {@code listener}. */
    public Future<Generation> start(GenerateRequest request, TokenListener listener) {
        try {
            requireReady();
            return Future.succeededFuture(coordinator.generate(request, listener));
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
    }

    /**
     * As {@link #start}, but a prompt given as text is tokenized first (on a worker, with special
     * tokens recognised, as the coordinator would), and one that leaves no room for a token in the
     * model's context is refused naming {@code field}: the client hears of it before anything
     * streams. The generation then starts with those ids beside the text, so nothing tokenizes the
     * prompt twice (a llama.cpp replica still gets the text).
     */
    public Future<Generation> startWithinContext(GenerateRequest request, String field, TokenListener listener) {
        try {
            requireReady();
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
        if (request.promptTokens() != null) {
            return start(request, listener);
        }
        int context = coordinator.model().contextLength();
        return vertx.executeBlocking(() -> coordinator.model().tokenizer().encode(request.prompt(), true, true))
                .compose(tokens -> {
                    if (tokens.length >= context) {
                        return Future.failedFuture(new IllegalArgumentException("\"" + field + "\" is " + tokens.length
                                + " tokens long; the model's context holds " + context + " tokens"));
                    }
                    return start(request.withPromptTokens(tokens), listener);
                });
    }
}
