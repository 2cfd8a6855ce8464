package io.llmswarm.shard;

import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.AnnouncementRegistry;
import io.llmswarm.cluster.Announcer;
import io.llmswarm.cluster.Envelope;
import io.llmswarm.cluster.ExecuteTask;
import io.llmswarm.cluster.LayerChooser;
import io.llmswarm.cluster.Relay;
import io.llmswarm.cluster.TaskInput;
import io.llmswarm.cluster.TaskParams;
import io.llmswarm.cluster.TaskResult;
import io.llmswarm.cluster.SessionRelease;
import io.llmswarm.cluster.ShardAnnouncement;
import io.llmswarm.cluster.SwarmView;
import io.llmswarm.cluster.TaskReply;
import io.llmswarm.engine.LayerRange;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Puts a {@link ShardService} on the event bus: EXECUTE_TASK steps and session releases arrive on
 * the node's shard addresses and run on a worker pool, never on the event loop. Once its consumers
 * are registered cluster-wide it announces itself ready; every second it expires idle sessions
 * and republishes capacity and load when they changed; on stop it withdraws its announcement.
 */
public final class ShardVerticle extends VerticleBase {

    private static final long HOUSEKEEPING_MS = 1000;
    private static final System.Logger LOG = System.getLogger(ShardVerticle.class.getName());

    private final ShardService service;
    private final AnnouncementRegistry registry;
    private final StepRejections rejections;
    private final ShardAnnouncement first;
    private final String nodeId;
    private Announcer announcer;
    private final AtomicInteger pending = new AtomicInteger();
    /** The swarm as this node sees it, when its layers were chosen automatically (null: fixed layers). */
    private volatile Supplier<SwarmView> swarm;
    private WorkerExecutor workers;
    private long timer = -1;

    /** @param announcement what to publish; its capacity, load and ready fields are filled in here */
    public ShardVerticle(ShardService service, AnnouncementRegistry registry, ShardAnnouncement announcement) {
        this(service, registry, announcement, new SimpleMeterRegistry());
    }

    /**
     * Counts refused messages in {@code meters} ({@code llmswarm_shard_messages_rejected_total}), and
     * the engine loop's batched passes and rows ({@code llmswarm_engine_turns_total},
     * {@code llmswarm_engine_rows_total{kind=decode|prompt}}: rows over turns is the mean batch), and
     * the prompt cache's hits, misses, reused tokens, evictions, bytes and sessions
     * ({@code llmswarm_prompt_cache_*}).
     */
    public ShardVerticle(ShardService service, AnnouncementRegistry registry, ShardAnnouncement announcement,
                         MeterRegistry meters) {
        this.service = service;
        this.registry = registry;
        this.first = announcement;
        this.nodeId = announcement.nodeId();
        this.rejections = new StepRejections(meters, service.shardId());
        EngineLoop loop = service.loop();
        FunctionCounter.builder("llmswarm.engine.turns", loop, EngineLoop::turns)
                .description("Batched forward passes of this node's engine loop").register(meters);
        FunctionCounter.builder("llmswarm.engine.rows", loop, EngineLoop::decodeRows)
                .description("Rows (tokens) through this node's engine loop").tag("kind", "decode").register(meters);
        FunctionCounter.builder("llmswarm.engine.rows", loop, EngineLoop::promptRows)
                .description("Rows (tokens) through this node's engine loop").tag("kind", "prompt").register(meters);
        PromptCache cache = service.promptCache();
        FunctionCounter.builder("llmswarm.prompt.cache.hits", cache, PromptCache::hits)
                .description("Sessions that started from a finished session's cached prompt prefix").register(meters);
        FunctionCounter.builder("llmswarm.prompt.cache.misses", cache, PromptCache::misses)
                .description("Sessions asked to start from a cached prefix this node no longer held").register(meters);
        FunctionCounter.builder("llmswarm.prompt.cache.tokens.reused", cache,
                PromptCache::tokensReused).description("Prompt positions copied from the cache instead of computed")
                .register(meters);
        FunctionCounter.builder("llmswarm.prompt.cache.evictions", cache,
                PromptCache::evictions).description("Cached sessions freed for room").register(meters);
        Gauge.builder("llmswarm.prompt.cache.bytes", cache, PromptCache::bytes)
                .description("KV cache bytes held by finished sessions kept for reuse").baseUnit("bytes").register(meters);
        Gauge.builder("llmswarm.prompt.cache.sessions", cache, PromptCache::size)
                .description("Finished sessions kept for reuse").register(meters);
    }

    @Override
    public Future<?> start() {
        // A worker per session that may have a step waiting: the steps wait together on the engine
        // loop, which runs them as one batch. A long prompt may keep a worker waiting for minutes.
        workers = vertx.createSharedWorkerExecutor("llm-shard-" + service.shardId(), Math.max(4, service.maxSessions() + 1),
                10, TimeUnit.MINUTES);
        announcer = new Announcer(vertx, registry, workers, first);
        MessageConsumer<Object> execute = vertx.eventBus().consumer(Addresses.shardExecute(nodeId), this::execute);
        MessageConsumer<Object> release = vertx.eventBus().consumer(Addresses.shardRelease(nodeId), this::release);
        MessageConsumer<JsonObject> probe = vertx.eventBus().consumer(Addresses.shardProbe(nodeId), this::probe);
        return Future.all(execute.completion(), release.completion(), probe.completion())
                .compose(ignored -> announcer.publishReady(service.freeSlots(), service.load()))
                .onSuccess(ignored -> timer = vertx.setPeriodic(HOUSEKEEPING_MS, id -> housekeeping()));
    }

    private void execute(Message<Object> message) {
        long received = System.nanoTime();
        ExecuteTask task = rejections.admit(message, ExecuteTask.class, "an EXECUTE_TASK");
        if (task == null) {
            return;
        }
        // Counted from arrival: a step still queued for a worker thread has no session yet, and a
        // draining node must not leave before it has run.
        pending.incrementAndGet();
        if (task.relay() != null) {
            workers.executeBlocking(() -> {
                relay(task, received);
                return null;
            }, false).onFailure(e -> answerFailure(task, received, "could not run the step: " + e))
                    .onComplete(ignored -> pending.decrementAndGet());
            return;
        }
        workers.executeBlocking(() -> service.execute(task), false)
                .onComplete(done -> {
                    pending.decrementAndGet();
                    message.reply(done.succeeded() ? done.result() : crashed(task, done.cause()));
                });
    }

    /** Steps that arrived and have not been answered or passed on yet (queued for a worker, or running). */
    public int pendingSteps() {
        return pending.get();
    }

    /**
     * Runs a relayed step and passes it on from this worker thread: hidden states to the next hop,
     * or the sampled token (or an error) to the coordinator, with every hop's times so far.
     */
    private void relay(ExecuteTask task, long received) {
        Relay relay = task.relay();
        TaskReply reply;
        try {
            reply = service.execute(task);
        } catch (RuntimeException e) {
            reply = crashed(task, e);
        }
        Relay.HopTime spent = new Relay.HopTime(reply.engineNanos(), System.nanoTime() - received);
        if (reply.isOk() && reply.result() instanceof TaskResult.Hidden hidden && !relay.isLast()) {
            Relay.Next next = relay.next().getFirst();
            try {
                TaskParams params = task.params();
                TaskParams onward = params.forHop(next.nodeId(), next.span(), relay.next().size() == 1);
                Envelope envelope = Envelope.now(Envelope.EXECUTE_TASK, task.envelope().requestId(), nodeId, next.nodeId());
                ExecuteTask nextStep = new ExecuteTask(envelope, onward,
                        task.input().withHidden(hidden.states(), hidden.width()), relay.onward(spent));
                // The write's outcome says whether the next hop's node took the message (no handler there, a
                // connection that failed): the coordinator hears of it now, as that hop's fault.
                vertx.eventBus().<ExecuteTask>sender(Addresses.shardExecute(next.nodeId())).write(nextStep)
                        .onFailure(e -> answerNextHopUnreachable(task, spent, next, e));
            } catch (RuntimeException e) {
                answer(task, relay.answered(spent), nodeId, "shard " + service.shardId() + " (layers "
                        + service.layers() + "): could not pass the step on to " + next.nodeId() + ": " + e);
            }
            return;
        }
        if (reply.isOk() && !relay.isLast()) {
            reply = TaskReply.failed(reply.envelope(), "shard " + service.shardId() + " (layers " + service.layers()
                    + "): gave no hidden states to pass on to " + relay.next().getFirst().nodeId());
        }
        Envelope answer = new Envelope(Envelope.TASK_RESULT, task.envelope().requestId(), nodeId,
                relay.replyTo(), System.currentTimeMillis());
        TaskReply result = new TaskReply(answer, reply.error(), reply.result(), reply.engineNanos(), relay.answered(spent));
        vertx.eventBus().<TaskReply>sender(relay.replyTo()).write(result).onFailure(e -> LOG.log(System.Logger.Level.WARNING,
                "shard " + service.shardId() + ": the result of request " + task.envelope().requestId()
                        + " could not reach its coordinator (" + relay.replyTo() + "): " + e));
    }

    /**
     * The next hop's node did not take the step: reported to the coordinator as an error of that
     * hop (it may have left, or its consumer may be gone), so the request moves on at once.
     */
    private void answerNextHopUnreachable(ExecuteTask task, Relay.HopTime spent, Relay.Next next, Throwable cause) {
        Relay relay = task.relay();
        Relay asNextHop = new Relay(relay.replyTo(), relay.step(), relay.hop() + 1, List.of(),
                relay.answered(spent).times());
        answer(task, asNextHop, next.nodeId(), "shard " + next.nodeId() + " (layers " + next.span()
                + ") could not be reached from " + service.shardId() + ": " + cause);
    }

    /** A failure anywhere in running or relaying a step (even one not foreseen): the coordinator hears of it now. */
    private void answerFailure(ExecuteTask task, long received, String why) {
        Relay relay = task.relay();
        answer(task, relay.answered(new Relay.HopTime(0, System.nanoTime() - received)), nodeId,
                "shard " + service.shardId() + " (layers " + service.layers() + "): " + why);
    }

    /**
     * Sends an error for a relayed step to its coordinator, as the error of hop {@code relay.hop()},
     * node {@code fromNode} (this one, or the next hop that could not be reached). Logs what it sends.
     */
    private void answer(ExecuteTask task, Relay relay, String fromNode, String error) {
        LOG.log(System.Logger.Level.WARNING, "request " + task.envelope().requestId() + ": " + error);
        Envelope envelope = new Envelope(Envelope.TASK_RESULT, task.envelope().requestId(), fromNode, relay.replyTo(),
                System.currentTimeMillis());
        try {
            vertx.eventBus().<TaskReply>sender(relay.replyTo()).write(new TaskReply(envelope, error, null, 0, relay))
                    .onFailure(e -> LOG.log(System.Logger.Level.WARNING, "shard " + service.shardId() + ": the error of "
                            + "request " + task.envelope().requestId() + " could not reach its coordinator: " + e));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "shard " + service.shardId() + ": cannot tell the coordinator of request "
                    + task.envelope().requestId() + " about: " + error, e);
        }
    }

    private TaskReply crashed(ExecuteTask task, Throwable cause) {
        return TaskReply.failed(task.envelope().reply(), "shard " + service.shardId() + " (layers "
                + service.layers() + "): " + cause);
    }

    /** Which relayed step of a session ran here last: a coordinator whose step missed its deadline asks every hop. */
    private void probe(Message<JsonObject> message) {
        Object session = message.body() == null ? null : message.body().getValue("session_id");
        if (!(session instanceof String id)) {
            message.fail(StepRejections.MALFORMED, "a probe needs {\"session_id\": string}; got " + message.body());
            return;
        }
        message.reply(new JsonObject().put("session_id", id).put("last_step", service.lastStep(id))
                .put("running_step", service.runningStep(id)));
    }

    private void release(Message<Object> message) {
        SessionRelease body = rejections.admit(message, SessionRelease.class, "a RELEASE_SESSION");
        if (body == null) {
            return;
        }
        String sessionId = body.sessionId();
        // Not on the step workers: steps waiting there for a free session slot must not hold up the release that frees one.
        vertx.executeBlocking(() -> service.release(sessionId), false);
    }

    private void housekeeping() {
        workers.executeBlocking(service::expireIdle, true)
                .onComplete(ignored -> announcer.refresh(service.freeSlots(), service.load()))
                .onComplete(ignored -> adaptLayers());
    }

    /**
     * With {@code --layers auto}: announces what {@link LayerChooser#narrowed} says of the layers this
     * node loaded and the swarm as {@code swarm} shows it, checked every second: the front part once
     * later nodes took the back, all of it again when they left. The engine keeps every layer it
     * loaded, so steps of routes planned before a change still run.
     */
    public void adaptLayers(Supplier<SwarmView> swarm) {
        this.swarm = swarm;
    }

    private void adaptLayers() {
        Supplier<SwarmView> view = swarm;
        if (view == null || announcer == null || !announcer.current().ready()) {
            return;
        }
        LayerRange now = announcer.current().layers();
        LayerRange next = LayerChooser.narrowed(service.layers(), view.get(), nodeId);
        if (!next.equals(now)) {
            LOG.log(System.Logger.Level.INFO, next.size() < now.size()
                    ? "layers " + new LayerRange(next.last() + 1, now.last()) + " are served by nodes that joined later:"
                            + " this node now announces layers " + next + " (it keeps all of " + service.layers() + " loaded)"
                    : "no other node serves layers " + new LayerRange(now.last() + 1, next.last()) + " now: this node"
                            + " announces layers " + next + " again");
            announcer.publishLayers(next);
        }
    }

    /** Says the node is draining: announced not ready, so no new route comes here; the sessions it has go on. */
    public Future<Void> drain() {
        return announcer == null ? Future.succeededFuture() : announcer.publishNotReady();
    }

    /** What this shard has announced last. */
    public ShardAnnouncement announcement() {
        return announcer == null ? first : announcer.current();
    }

    @Override
    public Future<?> stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        return announcer.withdraw(service::close).eventually(() -> workers.close());
    }
}
