package io.llmswarm.coordinator;

import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.ReplicaRequest;
import io.llmswarm.cluster.Route;
import io.llmswarm.cluster.SessionRelease;
import io.llmswarm.cluster.SwarmBusyException;
import io.llmswarm.cluster.SwarmNotReadyException;
import io.llmswarm.cluster.SwarmView;
import io.llmswarm.cluster.TaskReply;
import io.llmswarm.cluster.TaskReplyCodec;
import io.llmswarm.cluster.TaskResult;
import io.llmswarm.inference.FinishReason;
import io.llmswarm.tokenizer.StreamingDecoder;
import io.llmswarm.tokenizer.Tokenizer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One request's run: it plans (readiness, the prompt's tokens, the route, a cached prompt prefix),
 * runs a {@link Leg} on its route — steps through a pipeline ({@link PipelineLeg}) or a replica's
 * stream ({@link ReplicaLeg}) —, checks each token against the stop conditions, and after a fault
 * moves to another route ({@link FailOver}), replaying what it had; its life is a {@link RunState}.
 * Every callback runs on one event-loop context, so the fields need no locks.
 */
final class PipelineRun implements Generation {

    private final Vertx vertx;
    private final Context context;
    private final String requestId;
    private final GenerateRequest request;
    private final TokenListener listener;
    private final Coordinator coordinator;
    private final Coordinator.ModelInfo model;
    private final Promise<GenerationOutcome> promise = Promise.promise();
    private final List<GeneratedToken> tokens = new ArrayList<>();
    private final StreamedText text;
    private volatile boolean cancelled;
    private StreamingDecoder decoder;
    private Route route;
    /** The run's part on its current route; made with the route, started once the prompt is known. */
    private Leg leg;
    private int[] prompt;
    private PipelineStatus status = PipelineStatus.PENDING;
    /** Where the run is in its life; every callback checks it first. */
    private RunState state = RunState.PLANNING;
    private final List<ShardTiming> earlierTimings = new ArrayList<>();
    private final FailOver failOvers;
    private long startNanos;
    private long firstTokenNanos;
    private long lastStateWrite;
    private boolean routeHeld;
    /** The outcome follows the end once the final state is written. */
    private Future<Void> finalState = Future.succeededFuture();
    /** How long the outcome waits for the final state to be written before it goes out anyway. */
    private static final Duration FINAL_STATE_WAIT = Duration.ofSeconds(2);
    /** The random draws the last shard's sampler had taken after the latest token. */
    private long draws;
    /** Leading prompt tokens taken from the shards' prompt caches instead of computed (0: none). */
    private int reused;
    /** A prompt starts after a cached prefix only when it is at least this long (one KV block). */
    static final int MIN_PREFIX_REUSE = 16;
    /** What the pipeline leg reports back, on this run's context. */
    private final PipelineLeg.Run pipelineHost = new PipelineHost();

    PipelineRun(Vertx vertx, String requestId, GenerateRequest request, TokenListener listener, Coordinator coordinator) {
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
        this.requestId = requestId;
        this.request = request;
        this.listener = listener;
        this.coordinator = coordinator;
        this.model = coordinator.model();
        this.text = new StreamedText(request.stopStrings());
        this.failOvers = new FailOver(coordinator);
    }

    @Override
    public String requestId() {
        return requestId;
    }

    @Override
    public Future<GenerationOutcome> outcome() {
        return promise.future();
    }

    @Override
    public void cancel() {
        cancelled = true;
    }

    @Override
    public List<ShardTiming> shardTimings() {
        return allTimings();
    }

    void start() {
        context.runOnContext(ignored -> guarded(() -> {
            startNanos = System.nanoTime();
            record(null, null, true);
            SwarmView view = coordinator.status();
            if (!view.isReady()) {
                fail(new SwarmNotReadyException(view.notReadyReason()));
                return;
            }
            Optional<Route> planned = coordinator.routes().choose(failOvers.usable(view), replicasAllowed());
            if (planned.isEmpty()) {
                try {
                    coordinator.routes().require(view, replicasAllowed());
                    fail(new SwarmNotReadyException("every route runs through a node avoided after repeated faults"
                            + " (circuit open for up to " + coordinator.settings().health().openFor().toSeconds() + " s)"));
                } catch (SwarmNotReadyException | IllegalArgumentException e) {
                    fail(e);
                }
                return;
            }
            useRoute(planned.get());
            Tokenizer tokenizer = model.tokenizer();
            decoder = tokenizer.streamingDecoder();
            Future<int[]> promptTokens = request.promptTokens() != null
                    ? Future.succeededFuture(request.promptTokens())
                    : vertx.executeBlocking(() -> tokenizer.encode(request.prompt(), true, true)); // as llama.cpp: <s>, <|eot_id|> … are control tokens
            promptTokens.onComplete(done -> guarded(() -> {
                if (done.failed()) {
                    fail(done.cause());
                    return;
                }
                prompt = done.result();
                int vocab = model.shape().vocabularySize();
                int outside = Arrays.stream(prompt).filter(id -> id < 0 || id >= vocab).findFirst().orElse(0);
                if (prompt.length == 0) {
                    fail(new IllegalArgumentException("the prompt is empty: it needs at least one token"));
                } else if (outside != 0) {
                    fail(new IllegalArgumentException("prompt token id " + outside + " is outside the vocabulary 0-"
                            + (vocab - 1)));
                } else if (request.maxTokens() == 0) {
                    finish(FinishReason.LENGTH);
                } else if (prompt.length > model.contextLength()) {
                    finish(FinishReason.CONTEXT_FULL);
                } else {
                    status = status.moveTo(PipelineStatus.IN_PROGRESS);
                    int prefix = reusablePrefix();
                    state = state.moveTo(RunState.RUNNING);
                    if (route.isReplica()) {
                        streamFromReplica();
                    } else {
                        reused = prefix;
                        pipeline().begin(Arrays.copyOfRange(prompt, prefix, prompt.length), Arrays.copyOf(prompt, prefix), draws);
                    }
                }
            }));
        }));
    }

    /**
     * How many leading prompt tokens a route's shards keep from a finished generation of this
     * coordinator (the conversation's earlier turn): when that route is not much busier than the one
     * chosen, the request moves to it and starts after them. At least one prompt token is computed,
     * since the last one's logits give the first token.
     */
    private int reusablePrefix() {
        Optional<PrefixDirectory.Match> match = coordinator.prefixes().longest(prompt, prompt.length - 1);
        if (match.isEmpty() || match.get().length() < MIN_PREFIX_REUSE) {
            return 0;
        }
        Optional<Route> there = coordinator.routes().withPrefix(failOvers.usable(coordinator.status()), match.get().hops(),
                replicasAllowed());
        if (there.isEmpty()) {
            return 0;
        }
        if (!there.get().toString().equals(route.toString())) {
            useRoute(there.get());
        }
        return match.get().length();
    }

    /** The coordinator closed (its node is leaving): the request fails, its sessions are released. Any thread. */
    void abandon() {
        context.runOnContext(ignored -> guarded(() -> fail(new IllegalStateException("request " + requestId
                + " stopped: this node's coordinator closed (the node is leaving the swarm)"))));
    }

    /** A relayed step's result (or a shard's error) reached the coordinator. Any thread. */
    void onResult(TaskReply reply) {
        context.runOnContext(ignored -> guarded(() -> {
            if (leg instanceof PipelineLeg pipeline) {
                pipeline.onResult(reply);
            }
        }));
    }

    /**
     * A result that names this request but cannot be used (see {@link TaskReplyCodec.Malformed}):
     * the pipeline leg blames a hop and the run moves on now. Any thread.
     */
    void onMalformedResult(TaskReplyCodec.Malformed malformed) {
        context.runOnContext(ignored -> guarded(() -> {
            if (leg instanceof PipelineLeg pipeline) {
                pipeline.onMalformed(malformed);
            } else {
                coordinator.faults().fault(FaultCounters.Kind.INVALID_RESULT);
            }
        }));
    }

    /** The run's pipeline leg (its route runs through Java shards). */
    private PipelineLeg pipeline() {
        return (PipelineLeg) leg;
    }

    /** How the pipeline leg's news reach this run. */
    private final class PipelineHost implements PipelineLeg.Run {
        @Override
        public boolean running() {
            return state == RunState.RUNNING;
        }

        @Override
        public String sessionId() {
            return PipelineRun.this.sessionId();
        }

        @Override
        public void guarded(Runnable callback) {
            PipelineRun.this.guarded(callback);
        }

        @Override
        public void firstStepSent(String nodeId) {
            record(nodeId, null, true);
        }

        @Override
        public void sampled(TaskResult.Sampled sampled) {
            onSampled(sampled);
        }

        @Override
        public void failed(Route.Hop hop, FaultCounters.Kind kind, String why) {
            failOver(hop, kind, why);
        }

        @Override
        public void busy(SwarmBusyException refusal) {
            fail(refusal);
        }

        @Override
        public void contextFull() {
            finish(FinishReason.CONTEXT_FULL);
        }

        @Override
        public void prefixLost(String nodeId) {
            coordinator.prefixes().forget(nodeId, prompt, reused);
            reused = 0;
        }
    }

    /** Runs a callback; anything it throws (a failing listener, a bug) fails the request rather than hanging it. */
    private void guarded(Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException e) {
            fail(new IllegalStateException("request " + requestId + " failed: " + e, e));
        }
    }

    private String sessionId() {
        return failOvers.sessionId(requestId);
    }

    private void useRoute(Route next) {
        if (leg != null) {
            earlierTimings.addAll(leg.timings());
        }
        if (route != null && routeHeld) {
            coordinator.routes().release(route);
        }
        coordinator.routes().hold(next);
        routeHeld = true;
        route = next;
        leg = route.isReplica() ? new ReplicaLeg(vertx, coordinator, route, new ReplicaHost())
                : new PipelineLeg(vertx, coordinator, requestId, request, route, pipelineHost);
    }

    /**
     * A shard failed: after a back-off (exponential, with jitter), plan a route around it and replay
     * the whole token history (prompt and the tokens generated so far) through it in one pass, as a
     * new session, so that the stream goes on with the token the failed step would have given,
     * neither dropping nor repeating one. The new final shard's seeded sampler skips the draws the
     * old one had taken, so greedy and seeded decoding both continue exactly.
     */
    private void failOver(Route.Hop failed, FaultCounters.Kind kind, String why) {
        if (state != RunState.RUNNING) {
            return; // ended, or already moving: one fault moves the run once
        }
        leg.stop(); // a step still in flight on the old route is superseded
        coordinator.faults().fault(kind);
        // A replica's stream counts its own faults in the breaker; a pipeline's steps are counted here.
        if (!failed.shard().isReplica() && (kind == FaultCounters.Kind.TIMEOUT || kind == FaultCounters.Kind.ERROR
                || kind == FaultCounters.Kind.INVALID_RESULT)) {
            coordinator.health().failed(failed.nodeId(), new ShardFault(kind, why));
        }
        if (failOvers.exhausted()) {
            fail(new IllegalStateException(why + " (after " + failOvers.attempt() + " fail-overs)"));
            return;
        }
        long delay = failOvers.failed(failed.nodeId());
        release("failover");
        state = state.moveTo(RunState.MOVING);
        vertx.setTimer(delay, timer -> guarded(() -> replay(why)));
    }

    private void replay(String why) {
        if (state != RunState.MOVING) {
            return;
        }
        if (cancelled) {
            finish(FinishReason.CANCELLED);
            return;
        }
        // A replica starts from text: the prompt, or the prompt and the text generated so far.
        boolean textSoFar = tokens.stream().anyMatch(token -> token.id() < 0);
        FailOver.Next next = failOvers.next(coordinator.status(), tokens.size(), textSoFar, replicasAllowed(), why);
        if (next.route() == null) {
            fail(new IllegalStateException(next.none()));
            return;
        }
        state = state.moveTo(RunState.RUNNING);
        useRoute(next.route());
        coordinator.tell(new Incident.FailOver(requestId, why, failOvers.attempt(), route.toString()));
        record(route.first().nodeId(), null, true);
        if (route.isReplica()) {
            streamFromReplica();
        } else {
            pipeline().begin(history(prompt.length + tokens.size()), new int[0], draws);
        }
    }

    /** Whether llama.cpp replicas can serve this request: they take prompt text and give no log-probabilities. */
    private boolean replicasAllowed() {
        return request.prompt() != null && request.sampling().topLogprobs() == 0;
    }

    /**
     * Runs the generation on a replica (the route's one hop), which streams text pieces back. After
     * a replica failed mid-stream, the next one goes on from the prompt and the text so far, which
     * llama.cpp tokenizes afresh (so a greedy continuation can differ from an unbroken one where
     * that text tokenizes differently from the tokens that made it).
     */
    private void streamFromReplica() {
        Route.Hop replica = route.first();
        int room = model.contextLength() - prompt.length - tokens.size();
        int wanted = request.maxTokens() - tokens.size();
        if (room < 1) {
            finish(FinishReason.CONTEXT_FULL);
            return;
        }
        // Fewer pieces than asked for is an end by length where the context or max_tokens ends it.
        replicaEndsByContext = wanted > room;
        record(replica.nodeId(), null, true);
        ((ReplicaLeg) leg).start(new ReplicaRequest(sessionId(), request.prompt() + text, Math.min(wanted, room),
                request.sampling().config(), request.sampling().ignoreEos()));
    }

    /** Whether the replica was asked for fewer tokens than max_tokens because the context ends first. */
    private boolean replicaEndsByContext;

    /** How the replica leg's stream reaches this run. */
    private final class ReplicaHost implements ReplicaStream.Listener {
        @Override
        public boolean onPieces(List<String> pieces, long roundTripNanos) {
            boolean[] more = {false};
            guarded(() -> more[0] = onReplicaPieces(pieces));
            return more[0];
        }

        @Override
        public void onEnd() {
            // A piece may carry several tokens (llama.cpp holds back an unfinished UTF-8
            // character), so fewer pieces than asked for is an EOS only where EOS could end it.
            boolean byLength = tokens.size() >= request.maxTokens() || request.sampling().ignoreEos();
            guarded(() -> finish(!byLength ? FinishReason.STOP
                    : replicaEndsByContext ? FinishReason.CONTEXT_FULL : FinishReason.LENGTH));
        }

        @Override
        public void onFailure(FaultCounters.Kind kind, String why) {
            guarded(() -> failOver(route.first(), kind, why));
        }
    }

    /**
     * Pieces from the replica, each counted as a token (llama.cpp gives text, no ids: the id is -1
     * and the log-probability NaN; a piece holds several tokens where llama.cpp held back an
     * unfinished UTF-8 character, so the count can be lower than llama.cpp's): the same stop
     * strings, max tokens and cancel as on a pipeline.
     */
    private boolean onReplicaPieces(List<String> pieces) {
        if (state != RunState.RUNNING) {
            return false;
        }
        for (String piece : pieces) {
            if (tokens.isEmpty()) {
                firstTokenNanos = System.nanoTime();
            }
            GeneratedToken token = new GeneratedToken(tokens.size(), -1, text.append(piece), Float.NaN, List.of());
            boolean stopped = text.stopped();
            tokens.add(token);
            listener.onToken(token);
            if (stopped) {
                finish(FinishReason.STOP_STRING);
                return false;
            }
            if (tokens.size() >= request.maxTokens()) {
                finish(FinishReason.LENGTH);
                return false;
            }
        }
        if (cancelled) {
            finish(FinishReason.CANCELLED);
            return false;
        }
        record(route.first().nodeId(), null, false);
        return true;
    }

    /**
     * The swarm changed: when a node of this request's route is no longer announced (it left or
     * died), move to another route now rather than at the step's deadline. Any thread.
     */
    void checkRoute() {
        context.runOnContext(ignored -> guarded(() -> {
            if (state != RunState.RUNNING) {
                return; // planning (no route yet), moving to another route, or ended
            }
            Set<String> present = new HashSet<>();
            coordinator.status().shards().forEach(s -> present.add(s.nodeId()));
            for (Route.Hop hop : route.hops()) {
                if (!present.contains(hop.nodeId())) {
                    failOver(hop, FaultCounters.Kind.MEMBER_LEFT, (hop.shard().isReplica() ? "replica " : "shard ")
                            + hop.nodeId() + " (layers " + hop.span() + ") left the swarm");
                    return;
                }
            }
        }));
    }

    private void onSampled(TaskResult.Sampled sampled) {
        int id = sampled.token();
        draws = sampled.draws();
        if (tokens.isEmpty()) {
            firstTokenNanos = System.nanoTime();
        }
        if (model.tokenizer().isEndOfGeneration(id)) {
            finish(FinishReason.STOP);
            return;
        }
        String piece = decoder.accept(id);
        GeneratedToken token = new GeneratedToken(tokens.size(), id, text.append(piece), sampled.logprob(),
                sampled.topLogprobs());
        boolean stopped = text.stopped();
        tokens.add(token);
        listener.onToken(token);
        int sessionLength = prompt.length + tokens.size() - 1;
        if (stopped) {
            finish(FinishReason.STOP_STRING);
        } else if (cancelled) {
            finish(FinishReason.CANCELLED);
        } else if (tokens.size() >= request.maxTokens()) {
            finish(FinishReason.LENGTH);
        } else if (sessionLength >= model.contextLength()) {
            finish(FinishReason.CONTEXT_FULL);
        } else {
            record(route.first().nodeId(), null, false);
            pipeline().next(id, sessionLength);
        }
    }

    private void finish(FinishReason reason) {
        if (state == RunState.ENDED) {
            return;
        }
        state = state.moveTo(RunState.ENDED);
        if (reason != FinishReason.STOP_STRING && decoder != null) {
            text.append(decoder.flush());
        }
        long end = System.nanoTime();
        GenerationOutcome outcome = new GenerationOutcome(requestId, prompt == null ? new int[0] : prompt,
                List.copyOf(tokens), text.toString(), reason, route == null ? "" : route.toString(),
                new GenerationOutcome.Timings(end - startNanos, (firstTokenNanos == 0 ? end : firstTokenNanos) - startNanos,
                        allTimings()), request.sampling().config().seed(), reused);
        if (leg instanceof PipelineLeg pipeline && pipeline.held() > 0) {
            coordinator.prefixes().remember(route, history(pipeline.held()));
        }
        RuntimeException cleanUp = endSessions(reason.apiName(), PipelineStatus.COMPLETED, null);
        afterFinalState(() -> {
            if (cleanUp == null) {
                promise.complete(outcome);
            } else {
                promise.fail(cleanUp);
            }
        });
    }

    private void fail(Throwable cause) {
        if (state == RunState.ENDED) {
            return;
        }
        state = state.moveTo(RunState.ENDED);
        RuntimeException cleanUp = endSessions("failed", PipelineStatus.FAILED, cause.getMessage());
        if (cleanUp != null) {
            cause.addSuppressed(cleanUp);
        }
        afterFinalState(() -> promise.fail(cause));
    }

    /**
     * Ends the request once its final state is in the map (or after {@link #FINAL_STATE_WAIT}), so a
     * client that asks for the state when the stream has ended sees how it ended.
     */
    private void afterFinalState(Runnable end) {
        finalState.timeout(FINAL_STATE_WAIT.toMillis(), TimeUnit.MILLISECONDS)
                .onComplete(written -> end.run());
    }

    /** Frees the sessions and records the final state; returns what went wrong instead of throwing. */
    private RuntimeException endSessions(String reason, PipelineStatus end, String failure) {
        if (routeHeld) {
            routeHeld = false;
            coordinator.routes().release(route);
        }
        try {
            release(reason);
            status = status.moveTo(end);
            finalState = record(null, failure, true);
            return null;
        } catch (RuntimeException e) {
            return e;
        }
    }

    /** Every shard of the route frees the session's KV cache (a shard that never saw it ignores this). */
    private void release(String reason) {
        if (leg != null) {
            leg.stop();
        }
        if (route != null) {
            for (Route.Hop hop : route.hops()) {
                vertx.eventBus().send(Addresses.shardRelease(hop.nodeId()), new SessionRelease(sessionId(), reason));
            }
        }
    }

    /**
     * The first {@code length} token ids of the run's history: the prompt, then the generated tokens
     * (what a replay sends, and what a route's sessions hold when they end).
     */
    private int[] history(int length) {
        int[] ids = Arrays.copyOf(prompt, length);
        for (int i = prompt.length; i < length; i++) {
            ids[i] = tokens.get(i - prompt.length).id();
        }
        return ids;
    }

    private List<ShardTiming> allTimings() {
        List<ShardTiming> all = new ArrayList<>(earlierTimings);
        if (leg != null) {
            all.addAll(leg.timings());
        }
        return List.copyOf(all);
    }

    /** Writes the pipeline state; while decoding at most once per state interval. */
    private Future<Void> record(String currentShard, String reason, boolean always) {
        long now = System.nanoTime();
        if (!always && now - lastStateWrite < coordinator.settings().stateInterval().toNanos()) {
            return Future.succeededFuture();
        }
        lastStateWrite = now;
        PipelineStateStore states = coordinator.wiring().states();
        if (states == null) {
            return Future.succeededFuture();
        }
        return states.record(new PipelineRecord(requestId, status, currentShard, reason, tokens.size(),
                allTimings()), context);
    }
}
