package io.llmswarm.coordinator;

import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.Envelope;
import io.llmswarm.cluster.ExecuteTask;
import io.llmswarm.cluster.Relay;
import io.llmswarm.cluster.ReplicaRequest;
import io.llmswarm.cluster.Route;
import io.llmswarm.cluster.SessionRelease;
import io.llmswarm.cluster.SwarmBusyException;
import io.llmswarm.cluster.SwarmNotReadyException;
import io.llmswarm.cluster.SwarmView;
import io.llmswarm.cluster.TaskInput;
import io.llmswarm.cluster.TaskParams;
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
 * One request's decode loop. Every callback runs on one event-loop context, so the fields need
 * no locks: a step goes to the route's first shard and travels on shard to shard ({@link Relay}),
 * the final shard's sampled token comes back and is checked against the stop conditions, and the
 * next step starts.
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
    private ShardTiming[] timings;
    private int[] prompt;
    private PipelineStatus status = PipelineStatus.PENDING;
    /** Where the run is in its life; every callback checks it first. */
    private RunState state = RunState.PLANNING;
    private final List<ShardTiming> earlierTimings = new ArrayList<>();
    /** Numbers each step sent; a reply to any but the latest is stale (the request moved on). */
    private int stepSequence;
    private final FailOver failOvers;
    private final ShardResultCheck resultCheck;
    private long startNanos;
    private long firstTokenNanos;
    private long lastStateWrite;
    private boolean routeHeld;
    private ReplicaStream replicaStream;
    /** The outcome follows the end once the final state is written. */
    private Future<Void> finalState = Future.succeededFuture();
    /** How long the outcome waits for the final state to be written before it goes out anyway. */
    private static final Duration FINAL_STATE_WAIT = Duration.ofSeconds(2);
    /** The running step's timer, or -1 when none runs (no step waits, or it passed). */
    private long deadline = -1;
    /**
     * Times the current step's deadline was extended because the late hop said the step was
     * waiting for its engine or running on it (queued behind other sessions' prompt chunks).
     */
    private int extensions;
    /** A step may run this many deadlines longer while its hop says it is working on it. */
    static final int MAX_EXTENSIONS = 4;
    /** Whether a step waits for its result (also while the hops are probed after its deadline). */
    private boolean awaiting;
    private long stepSent;
    private int stepRows;
    /** The random draws the last shard's sampler had taken after the latest token. */
    private long draws;
    /** The position the running step starts at. */
    private int stepPosition;
    /** Positions the route's sessions hold after the last step that came back. */
    private int held;
    /** Leading prompt tokens taken from the shards' prompt caches instead of computed (0: none). */
    private int reused;
    /** A prompt starts after a cached prefix only when it is at least this long (one KV block). */
    static final int MIN_PREFIX_REUSE = 16;
    private static final int[] NO_PREFIX = new int[0];

    /** How long a hop has to say which step it finished, once a step missed its deadline. */
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);

    /** A replica answers at least once a second; silence this long means it is gone. */
    private static final Duration REPLICA_SILENCE = Duration.ofSeconds(10);

    PipelineRun(Vertx vertx, String requestId, GenerateRequest request, TokenListener listener, Coordinator coordinator) {
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
        this.requestId = requestId;
        this.request = request;
        this.listener = listener;
        this.coordinator = coordinator;
        this.model = coordinator.model();
        this.resultCheck = new ShardResultCheck(requestId, model.shape());
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
                        step(Arrays.copyOfRange(prompt, prefix, prompt.length), prefix, Arrays.copyOf(prompt, prefix));
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

    /**
     * Sends a step through the route: to the first hop, which relays it shard to shard (see
     * {@link Relay}); the last one sends the sampled token back ({@link #onResult}). The step has
     * one deadline for the whole route, proportionally longer for a prompt or replay of many tokens.
     */
    private void step(int[] stepTokens, int position) {
        step(stepTokens, position, NO_PREFIX);
    }

    /** As {@link #step(int[], int)}, for a session's first step after a cached {@code prefix} (position = its length). */
    private void step(int[] stepTokens, int position, int[] prefix) {
        for (Route.Hop hop : route.hops()) {
            if (coordinator.health().isAvoided(hop.nodeId())) {
                failOver(hop, FaultCounters.Kind.CIRCUIT_OPEN, "shard " + hop.nodeId() + " (layers " + hop.span()
                        + ") is avoided after repeated faults");
                return;
            }
        }
        Route.Hop first = route.first();
        List<Relay.Next> next = route.hops().subList(1, route.size()).stream()
                .map(hop -> new Relay.Next(hop.nodeId(), hop.span())).toList();
        int step = ++stepSequence;
        // A replay (position 0 after tokens were sampled) tells the new last shard where the seeded sequence stood.
        TaskParams params = new TaskParams(sessionId(), first.nodeId(), first.span(), position, route.size() == 1,
                request.sampling(), coordinator.settings().encoding(), position == 0 ? draws : 0);
        ExecuteTask task = new ExecuteTask(Envelope.now(Envelope.EXECUTE_TASK, requestId, coordinator.wiring().nodeId(),
                first.nodeId()), params, new TaskInput(stepTokens, null, 0, prefix),
                Relay.start(coordinator.resultsAddress(), step, next));
        if (position == prefix.length) {
            record(first.nodeId(), null, true);
        }
        stepRows = stepTokens.length;
        stepPosition = position;
        stepSent = System.nanoTime();
        long timeout = coordinator.settings().stepTimeout().toMillis() * ((stepTokens.length + 63) / 64);
        awaiting = true;
        extensions = 0;
        deadline = vertx.setTimer(Math.max(1, timeout), id -> guarded(() -> missedDeadline(step, timeout)));
        // A first hop whose node does not take the step (no consumer there, a failed connection) is a fault now, not at the deadline.
        vertx.eventBus().<ExecuteTask>sender(Addresses.shardExecute(first.nodeId())).write(task)
                .onFailure(e -> guarded(() -> {
                    if (step == stepSequence && awaiting && state == RunState.RUNNING) {
                        failOver(first, FaultCounters.Kind.ERROR, "shard " + first.nodeId() + " (layers " + first.span()
                                + ") could not be reached: " + e);
                    }
                }));
    }

    /** The coordinator closed (its node is leaving): the request fails, its sessions are released. Any thread. */
    void abandon() {
        context.runOnContext(ignored -> guarded(() -> fail(new IllegalStateException("request " + requestId
                + " stopped: this node's coordinator closed (the node is leaving the swarm)"))));
    }

    /** A relayed step's result (or a shard's error) reached the coordinator. Any thread. */
    void onResult(TaskReply reply) {
        context.runOnContext(ignored -> guarded(() -> takeResult(reply)));
    }

    /**
     * A result that names this request but cannot be used (see {@link io.llmswarm.cluster.TaskReplyCodec.Malformed}):
     * the step it answers is lost, so the request moves on now, blaming the hop it says it comes
     * from (by index, else by node id, else the route's last hop). Any thread.
     */
    void onMalformedResult(TaskReplyCodec.Malformed malformed) {
        context.runOnContext(ignored -> guarded(() -> {
            if (!awaiting || state != RunState.RUNNING || (malformed.step() != null && malformed.step() != stepSequence)) {
                coordinator.faults().fault(FaultCounters.Kind.INVALID_RESULT);
                return; // stale, or no step waits: nothing to move
            }
            Route.Hop blamed = route.hops().getLast();
            if (malformed.hop() != null && malformed.hop() >= 0 && malformed.hop() < route.size()) {
                blamed = route.hops().get(malformed.hop());
            } else if (malformed.from() != null) {
                blamed = route.hops().stream().filter(h -> h.nodeId().equals(malformed.from())).findFirst().orElse(blamed);
            }
            failOver(blamed, FaultCounters.Kind.INVALID_RESULT, "shard " + blamed.nodeId() + " (layers " + blamed.span()
                    + ") sent " + malformed.getMessage());
        }));
    }

    private void takeResult(TaskReply reply) {
        Relay relay = reply.relay();
        if (relay.step() != stepSequence || !awaiting || state != RunState.RUNNING || relay.hop() >= route.size()) {
            return; // stale: an earlier step, or the request moved to another route
        }
        awaiting = false;
        if (deadline >= 0) {
            vertx.cancelTimer(deadline);
            deadline = -1;
        }
        Route.Hop hop = route.hops().get(relay.hop());
        boolean last = relay.hop() == route.size() - 1;
        if (!reply.isOk() && reply.error().startsWith(TaskReply.INVALID_INPUT_PREFIX) && relay.hop() > 0) {
            Route.Hop sender = route.hops().get(relay.hop() - 1);
            failOver(sender, FaultCounters.Kind.INVALID_RESULT, "shard " + sender.nodeId() + " (layers " + sender.span()
                    + ") sent hidden states that the next shard refused: " + reply.error());
            return;
        }
        if (!reply.isOk() && reply.error().startsWith(TaskReply.PREFIX_LOST_PREFIX)) {
            // The hop no longer keeps the prefix (evicted, restarted): no fault. The same sessions
            // start over from position 0; the hops before it that took the prefix rewind.
            coordinator.prefixes().forget(hop.nodeId(), prompt, reused);
            reused = 0;
            step(prompt, 0);
            return;
        }
        Future<TaskReply> checked = resultCheck.checked(reply, hop, stepRows, last);
        if (checked.failed()) {
            ShardFault fault = (ShardFault) checked.cause();
            failOver(hop, fault.kind(), fault.getMessage());
            return;
        }
        if (!reply.isOk() && reply.error().startsWith(SwarmBusyException.REPLY_PREFIX)) {
            // No room for the session now: the client should come back, not fail over.
            fail(new SwarmBusyException(reply.error().substring(SwarmBusyException.REPLY_PREFIX.length())));
            return;
        }
        if (!reply.isOk()) {
            finish(FinishReason.CONTEXT_FULL);
            return;
        }
        if (!last) {
            // Hidden states from a hop before the last belong to the next hop, never here.
            failOver(hop, FaultCounters.Kind.INVALID_RESULT, "shard " + hop.nodeId() + " (layers " + hop.span()
                    + ") answered a step it should have passed on to the next shard");
            return;
        }
        addTimings(relay.times());
        held = stepPosition + stepRows;
        route.hops().forEach(h -> coordinator.health().succeeded(h.nodeId()));
        onSampled((TaskResult.Sampled) reply.result());
    }

    /**
     * Adds a finished step's times to the hops: each hop's engine time, and its time from receiving
     * the step to sending it on plus an equal share of the time the step spent between nodes (the
     * round trip less every hop's own time), so that the hops' totals add up to the round trip.
     */
    private void addTimings(List<Relay.HopTime> times) {
        long roundTrip = System.nanoTime() - stepSent;
        long inNodes = times.stream().mapToLong(Relay.HopTime::nodeNanos).sum();
        long between = Math.max(0, roundTrip - inNodes) / times.size();
        for (int i = 0; i < times.size() && i < timings.length; i++) {
            timings[i] = timings[i].add(times.get(i).nodeNanos() + between, times.get(i).engineNanos());
        }
    }

    /**
     * No result before the deadline: find the hop at fault ({@link RouteProbe}) and route around
     * it. A result that comes while asking still counts.
     */
    private void missedDeadline(int step, long timeoutMillis) {
        if (step != stepSequence || !awaiting || state != RunState.RUNNING) {
            return;
        }
        deadline = -1;
        RouteProbe.find(vertx, route, sessionId(), step, Math.min(PROBE_TIMEOUT.toMillis(), timeoutMillis))
                .onComplete(found -> guarded(() -> {
                    if (step != stepSequence || !awaiting || state != RunState.RUNNING) {
                        return;
                    }
                    Route.Hop hop = route.hops().get(found.result().hop());
                    if (found.result().running() && extensions < MAX_EXTENSIONS) {
                        // The hop has the step in its engine's queue or on its engine: busy, not stuck.
                        extensions++;
                        deadline = vertx.setTimer(Math.max(1, timeoutMillis), id -> guarded(() -> missedDeadline(step, timeoutMillis)));
                        return;
                    }
                    failOver(hop, FaultCounters.Kind.TIMEOUT, RouteProbe.describe(hop, found.result(), step, timeoutMillis));
                }));
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
        if (timings != null) {
            earlierTimings.addAll(List.of(timings));
        }
        if (route != null && routeHeld) {
            coordinator.routes().release(route);
        }
        coordinator.routes().hold(next);
        routeHeld = true;
        route = next;
        timings = new ShardTiming[route.size()];
        for (int i = 0; i < timings.length; i++) {
            Route.Hop hop = route.hops().get(i);
            timings[i] = new ShardTiming(hop.nodeId(), hop.span(), 0, 0, 0);
        }
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
        stepSequence++; // a step still in flight on the old route is superseded
        awaiting = false;
        if (deadline >= 0) {
            vertx.cancelTimer(deadline);
            deadline = -1;
        }
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
        int[] history = new int[prompt.length + tokens.size()];
        System.arraycopy(prompt, 0, history, 0, prompt.length);
        for (int i = 0; i < tokens.size(); i++) {
            history[prompt.length + i] = tokens.get(i).id();
        }
        record(route.first().nodeId(), null, true);
        if (route.isReplica()) {
            streamFromReplica();
        } else {
            step(history, 0);
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
        record(replica.nodeId(), null, true);
        long timeout = Math.min(coordinator.settings().stepTimeout().toMillis(), REPLICA_SILENCE.toMillis());
        replicaStream = new ReplicaStream(vertx, coordinator.health(), replica, timeout, new ReplicaStream.Listener() {
            @Override
            public boolean onPieces(List<String> pieces, long roundTripNanos) {
                boolean[] more = {false};
                guarded(() -> more[0] = onReplicaPieces(pieces, roundTripNanos));
                return more[0];
            }

            @Override
            public void onEnd() {
                // A piece may carry several tokens (llama.cpp holds back an unfinished UTF-8
                // character), so fewer pieces than asked for is an EOS only where EOS could end it.
                boolean byLength = tokens.size() >= request.maxTokens() || request.sampling().ignoreEos();
                guarded(() -> finish(!byLength ? FinishReason.STOP
                        : wanted > room ? FinishReason.CONTEXT_FULL : FinishReason.LENGTH));
            }

            @Override
            public void onFailure(FaultCounters.Kind kind, String why) {
                guarded(() -> failOver(replica, kind, why));
            }
        });
        replicaStream.start(new ReplicaRequest(sessionId(), request.prompt() + text, Math.min(wanted, room),
                request.sampling().config(), request.sampling().ignoreEos()));
    }

    /**
     * Pieces from the replica, each counted as a token (llama.cpp gives text, no ids: the id is -1
     * and the log-probability NaN; a piece holds several tokens where llama.cpp held back an
     * unfinished UTF-8 character, so the count can be lower than llama.cpp's): the same stop
     * strings, max tokens and cancel as on a pipeline.
     */
    private boolean onReplicaPieces(List<String> pieces, long roundTripNanos) {
        if (state != RunState.RUNNING) {
            return false;
        }
        timings[0] = timings[0].add(roundTripNanos, roundTripNanos);
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
            step(new int[] {id}, sessionLength);
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
        if (route != null && !route.isReplica() && held > 0) {
            coordinator.prefixes().remember(route, fedTokens());
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
        if (replicaStream != null) {
            replicaStream.stop();
            replicaStream = null;
        }
        if (route != null) {
            for (Route.Hop hop : route.hops()) {
                vertx.eventBus().send(Addresses.shardRelease(hop.nodeId()), new SessionRelease(sessionId(), reason));
            }
        }
    }

    /** The token ids the route's sessions hold: the prompt and the generated tokens fed back, {@code held} in all. */
    private int[] fedTokens() {
        int[] fed = Arrays.copyOf(prompt, held);
        for (int i = prompt.length; i < held; i++) {
            fed[i] = tokens.get(i - prompt.length).id();
        }
        return fed;
    }

    private List<ShardTiming> allTimings() {
        List<ShardTiming> all = new ArrayList<>(earlierTimings);
        if (timings != null) {
            all.addAll(Arrays.asList(timings));
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
