package io.llmswarm.coordinator;

import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.Envelope;
import io.llmswarm.cluster.ExecuteTask;
import io.llmswarm.cluster.Relay;
import io.llmswarm.cluster.Route;
import io.llmswarm.cluster.SwarmBusyException;
import io.llmswarm.cluster.TaskInput;
import io.llmswarm.cluster.TaskParams;
import io.llmswarm.cluster.TaskReply;
import io.llmswarm.cluster.TaskReplyCodec;
import io.llmswarm.cluster.TaskResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * A run's part on a pipeline of Java shards: it sends each step to the route's first shard, which
 * relays it shard to shard ({@link Relay}); the last one's sampled token comes back here. One step
 * at a time, with one deadline for the whole route (proportionally longer for a prompt or a replay
 * of many tokens); a late step's hops are probed ({@link RouteProbe}), and a hop that says it has
 * the step queued or running gets more time. What a step's answer means for the run (a token, a
 * fault on some hop, no room, a full context) goes to the run ({@link Run}); the leg keeps the
 * route's timings and how many positions its sessions hold.
 */
final class PipelineLeg implements Leg {

    /** What the leg asks of its run. Every call comes on the run's context. */
    interface Run {
        /** Whether the run still runs on this leg (not ended, not moving to another route). */
        boolean running();

        /** The session id of the run's current attempt. */
        String sessionId();

        /** Runs a callback, failing the run on whatever it throws. */
        void guarded(Runnable callback);

        /** A session's first step went out through {@code nodeId}. */
        void firstStepSent(String nodeId);

        /** The last shard sampled the next token. */
        void sampled(TaskResult.Sampled sampled);

        /** A hop failed the step: the run moves to another route. */
        void failed(Route.Hop hop, FaultCounters.Kind kind, String why);

        /** A shard had no room for the session: the client should come back later. */
        void busy(SwarmBusyException refusal);

        /** The session's context is full. */
        void contextFull();

        /** {@code nodeId} no longer keeps the cached prompt prefix the step started after; the step goes again from 0. */
        void prefixLost(String nodeId);
    }

    /** A step may run this many deadlines longer while its hop says it is working on it. */
    static final int MAX_EXTENSIONS = 4;
    /** How long a hop has to say which step it finished, once a step missed its deadline. */
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);
    private static final int[] NO_PREFIX = new int[0];

    private final Vertx vertx;
    private final Coordinator coordinator;
    private final String requestId;
    private final GenerateRequest request;
    private final Route route;
    private final Run run;
    private final ShardResultCheck resultCheck;
    private final ShardTiming[] timings;
    /** Numbers each step sent; a reply to any but the latest is stale (a later step or the leg's end superseded it). */
    private int stepSequence;
    /** Whether a step waits for its result (also while the hops are probed after its deadline). */
    private boolean awaiting;
    /** The running step's timer, or -1 when none runs. */
    private long deadline = -1;
    /** Times the current step's deadline was extended because its hop said it was queued or running there. */
    private int extensions;
    private long stepSent;
    private int stepRows;
    private int stepPosition;
    /** The first step's prefix and tokens, to send again from position 0 when a hop lost the prefix. */
    private int[] firstPrefix = NO_PREFIX;
    private int[] firstTokens;
    /** Positions the route's sessions hold after the last step that came back. */
    private int held;

    PipelineLeg(Vertx vertx, Coordinator coordinator, String requestId, GenerateRequest request, Route route, Run run) {
        this.vertx = vertx;
        this.coordinator = coordinator;
        this.requestId = requestId;
        this.request = request;
        this.route = route;
        this.run = run;
        this.resultCheck = new ShardResultCheck(requestId, coordinator.model().shape());
        this.timings = new ShardTiming[route.size()];
        for (int i = 0; i < timings.length; i++) {
            Route.Hop hop = route.hops().get(i);
            timings[i] = new ShardTiming(hop.nodeId(), hop.span(), 0, 0, 0);
        }
    }

    @Override
    public Route route() {
        return route;
    }

    @Override
    public List<ShardTiming> timings() {
        return List.of(timings);
    }

    /** Positions the route's sessions hold (the prompt and the tokens fed back that came through). */
    int held() {
        return held;
    }

    /**
     * A session's first step: {@code tokens} from {@code position}, after a cached {@code prefix}
     * (its length is the position) or from 0; a replay from 0 tells the new last shard how many
     * random draws its sampler had taken ({@code drawsBefore}).
     */
    void begin(int[] tokens, int[] prefix, long drawsBefore) {
        firstPrefix = prefix;
        firstTokens = tokens;
        send(tokens, prefix.length, prefix, drawsBefore);
    }

    /** The next decode step: the token the last one sampled, at {@code position}. */
    void next(int token, int position) {
        send(new int[] {token}, position, NO_PREFIX, 0);
    }

    private void send(int[] stepTokens, int position, int[] prefix, long drawsBefore) {
        for (Route.Hop hop : route.hops()) {
            if (coordinator.health().isAvoided(hop.nodeId())) {
                run.failed(hop, FaultCounters.Kind.CIRCUIT_OPEN, "shard " + hop.nodeId() + " (layers " + hop.span()
                        + ") is avoided after repeated faults");
                return;
            }
        }
        Route.Hop first = route.first();
        List<Relay.Next> next = route.hops().subList(1, route.size()).stream()
                .map(hop -> new Relay.Next(hop.nodeId(), hop.span())).toList();
        int step = ++stepSequence;
        TaskParams params = new TaskParams(run.sessionId(), first.nodeId(), first.span(), position, route.size() == 1,
                request.sampling(), coordinator.settings().encoding(), position == 0 ? drawsBefore : 0);
        ExecuteTask task = new ExecuteTask(Envelope.now(Envelope.EXECUTE_TASK, requestId, coordinator.wiring().nodeId(),
                first.nodeId()), params, new TaskInput(stepTokens, null, 0, prefix),
                Relay.start(coordinator.resultsAddress(), step, next));
        if (position == prefix.length) {
            run.firstStepSent(first.nodeId());
        }
        stepRows = stepTokens.length;
        stepPosition = position;
        stepSent = System.nanoTime();
        long timeout = coordinator.settings().stepTimeout().toMillis() * ((stepTokens.length + 63) / 64);
        awaiting = true;
        extensions = 0;
        deadline = vertx.setTimer(Math.max(1, timeout), id -> run.guarded(() -> missedDeadline(step, timeout)));
        // A first hop whose node does not take the step (no consumer there, a failed connection) is a fault now, not at the deadline.
        vertx.eventBus().<ExecuteTask>sender(Addresses.shardExecute(first.nodeId())).write(task)
                .onFailure(e -> run.guarded(() -> {
                    if (step == stepSequence && awaiting && run.running()) {
                        run.failed(first, FaultCounters.Kind.ERROR, "shard " + first.nodeId() + " (layers " + first.span()
                                + ") could not be reached: " + e);
                    }
                }));
    }

    /** Supersedes a step still in flight: its answer, when it comes, is stale. */
    @Override
    public void stop() {
        stepSequence++;
        awaiting = false;
        if (deadline >= 0) {
            vertx.cancelTimer(deadline);
            deadline = -1;
        }
    }

    /** A relayed step's result, or a shard's error. */
    void onResult(TaskReply reply) {
        Relay relay = reply.relay();
        if (relay.step() != stepSequence || !awaiting || !run.running() || relay.hop() >= route.size()) {
            return; // stale: an earlier step, or the run moved to another route
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
            run.failed(sender, FaultCounters.Kind.INVALID_RESULT, "shard " + sender.nodeId() + " (layers " + sender.span()
                    + ") sent hidden states that the next shard refused: " + reply.error());
            return;
        }
        if (!reply.isOk() && reply.error().startsWith(TaskReply.PREFIX_LOST_PREFIX)) {
            // The hop no longer keeps the prefix (evicted, restarted): no fault. The same sessions
            // start over from position 0; the hops before it that took the prefix rewind.
            run.prefixLost(hop.nodeId());
            int[] whole = Arrays.copyOf(firstPrefix, firstPrefix.length + firstTokens.length);
            System.arraycopy(firstTokens, 0, whole, firstPrefix.length, firstTokens.length);
            begin(whole, NO_PREFIX, 0);
            return;
        }
        Future<TaskReply> checked = resultCheck.checked(reply, hop, stepRows, last);
        if (checked.failed()) {
            ShardFault fault = (ShardFault) checked.cause();
            run.failed(hop, fault.kind(), fault.getMessage());
            return;
        }
        if (!reply.isOk() && reply.error().startsWith(SwarmBusyException.REPLY_PREFIX)) {
            // No room for the session now: the client should come back, not fail over.
            run.busy(new SwarmBusyException(reply.error().substring(SwarmBusyException.REPLY_PREFIX.length())));
            return;
        }
        if (!reply.isOk()) {
            run.contextFull();
            return;
        }
        if (!last) {
            // Hidden states from a hop before the last belong to the next hop, never here.
            run.failed(hop, FaultCounters.Kind.INVALID_RESULT, "shard " + hop.nodeId() + " (layers " + hop.span()
                    + ") answered a step it should have passed on to the next shard");
            return;
        }
        addTimings(relay.times());
        held = stepPosition + stepRows;
        route.hops().forEach(h -> coordinator.health().succeeded(h.nodeId()));
        run.sampled((TaskResult.Sampled) reply.result());
    }

    /**
     * A result that names this request but cannot be used (see {@link TaskReplyCodec.Malformed}):
     * the step it answers is lost, so the run moves on now, blaming the hop it says it comes from
     * (by index, else by node id, else the route's last hop).
     */
    void onMalformed(TaskReplyCodec.Malformed malformed) {
        if (!awaiting || !run.running() || (malformed.step() != null && malformed.step() != stepSequence)) {
            coordinator.faults().fault(FaultCounters.Kind.INVALID_RESULT);
            return; // stale, or no step waits: nothing to move
        }
        Route.Hop blamed = route.hops().getLast();
        if (malformed.hop() != null && malformed.hop() >= 0 && malformed.hop() < route.size()) {
            blamed = route.hops().get(malformed.hop());
        } else if (malformed.from() != null) {
            blamed = route.hops().stream().filter(h -> h.nodeId().equals(malformed.from())).findFirst().orElse(blamed);
        }
        run.failed(blamed, FaultCounters.Kind.INVALID_RESULT, "shard " + blamed.nodeId() + " (layers " + blamed.span()
                + ") sent " + malformed.getMessage());
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
        if (step != stepSequence || !awaiting || !run.running()) {
            return;
        }
        deadline = -1;
        RouteProbe.find(vertx, route, run.sessionId(), step, Math.min(PROBE_TIMEOUT.toMillis(), timeoutMillis))
                .onComplete(found -> run.guarded(() -> {
                    if (step != stepSequence || !awaiting || !run.running()) {
                        return;
                    }
                    Route.Hop hop = route.hops().get(found.result().hop());
                    if (found.result().running() && extensions < MAX_EXTENSIONS) {
                        // The hop has the step in its engine's queue or on its engine: busy, not stuck.
                        extensions++;
                        deadline = vertx.setTimer(Math.max(1, timeoutMillis),
                                id -> run.guarded(() -> missedDeadline(step, timeoutMillis)));
                        return;
                    }
                    run.failed(hop, FaultCounters.Kind.TIMEOUT, RouteProbe.describe(hop, found.result(), step, timeoutMillis));
                }));
    }
}
