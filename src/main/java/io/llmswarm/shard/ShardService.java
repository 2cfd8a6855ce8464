package io.llmswarm.shard;

import io.llmswarm.cluster.ExecuteTask;
import io.llmswarm.cluster.SamplingParams;
import io.llmswarm.cluster.SwarmBusyException;
import io.llmswarm.cluster.TaskInput;
import io.llmswarm.cluster.TaskParams;
import io.llmswarm.cluster.TaskReply;
import io.llmswarm.cluster.TaskResult;
import io.llmswarm.engine.ForwardResult;
import io.llmswarm.engine.KvCache;
import io.llmswarm.engine.KvCacheBudget;
import io.llmswarm.engine.LayerRange;
import io.llmswarm.engine.Session;
import io.llmswarm.engine.ShardEngine;
import io.llmswarm.engine.ShardInput;
import io.llmswarm.sampling.BannedTokens;
import io.llmswarm.sampling.TokenHistory;
import io.llmswarm.sampling.TokenLogprob;
import io.llmswarm.sampling.TopLogprobs;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;

/**
 * Executes EXECUTE_TASK steps for this node's layers, without Vert.x: keeps a KV cache per
 * session (opened by a session's first step, closed on release or after sitting idle), runs the
 * engine, and on the final shard samples the next token with the session's seeded sampler and
 * returns its id, not the logits. Forward passes run on the shard's {@link EngineLoop}, which
 * batches the steps of sessions that wait at the same time. Blocking: call it from a worker thread.
 */
public final class ShardService implements AutoCloseable {

    /**
     * How many sessions the shard holds at once, how long an idle one lives, and how many finished
     * sessions' KV caches it keeps for prompts that start the same way (0: none).
     */
    public record Settings(int maxSessions, Duration sessionIdleTimeout, int promptCacheEntries) {
        public Settings {
            if (maxSessions < 1) {
                throw new IllegalArgumentException("a shard needs room for at least one session; got " + maxSessions);
            }
            if (promptCacheEntries < 0) {
                throw new IllegalArgumentException("the prompt cache keeps 0 or more sessions; got " + promptCacheEntries);
            }
        }

        public Settings(int maxSessions, Duration sessionIdleTimeout) {
            this(maxSessions, sessionIdleTimeout, DEFAULT_PROMPT_CACHE_ENTRIES);
        }

        public static Settings defaults() {
            return new Settings(32, Duration.ofMinutes(5));
        }
    }

    /** Finished sessions kept for reuse by default; the KV budget evicts them first when it needs room. */
    public static final int DEFAULT_PROMPT_CACHE_ENTRIES = 32;

    /**
     * A fault-injection hook for tests only ({@code -Dllmswarm.test.corrupt-hidden-states=true}):
     * the shard answers every step with NaN hidden states, so tests can check that coordinators
     * reject such results and move on.
     */
    private static final boolean CORRUPT_HIDDEN_STATES = Boolean.getBoolean("llmswarm.test.corrupt-hidden-states");

    /** How long a new session waits for a free slot before the step is refused as overloaded. */
    static final Duration SLOT_WAIT = Duration.ofMillis(500);

    private final String shardId;
    private final ShardEngine engine;
    private final Settings settings;
    private final BannedTokens endOfGeneration;
    private final Map<String, ShardSession> sessions = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Runs every forward pass: steps that wait together run as one batch. */
    private final EngineLoop loop;
    /** Finished sessions' KV caches, for new sessions whose prompt starts the same way. */
    private final PromptCache promptCache;

    /** @param endOfGeneration the model's end-of-generation tokens, masked when a request ignores EOS */
    public ShardService(String shardId, ShardEngine engine, IntPredicate endOfGeneration, Settings settings) {
        this.shardId = shardId;
        this.engine = engine;
        this.settings = settings;
        this.endOfGeneration = BannedTokens.of(engine.config().vocabularySize(), endOfGeneration);
        this.loop = new EngineLoop(engine, engine.options().maxBatch(), "engine-" + shardId);
        this.promptCache = new PromptCache(settings.promptCacheEntries());
        engine.kvCacheBudget().reclaimWith(promptCache);
    }

    /** How many steps may be running or waiting at once: one per session. */
    public int maxSessions() {
        return settings.maxSessions();
    }

    public String shardId() {
        return shardId;
    }

    public LayerRange layers() {
        return engine.shard().range();
    }

    public boolean isFinalShard() {
        return engine.shard().hasOutput();
    }

    public ShardEngine engine() {
        return engine;
    }

    /** Sessions open now. */
    public int sessionCount() {
        return sessions.size();
    }

    /** Sessions that could still be opened. */
    public int freeSlots() {
        return Math.max(0, settings.maxSessions() - sessions.size());
    }

    /** Steps running now. */
    public int load() {
        return inFlight.get();
    }

    public KvCacheBudget kvCacheBudget() {
        return engine.kvCacheBudget();
    }

    /**
     * Runs one step; every failure becomes an error reply that names this shard and its layers. A
     * failed step that opened its session closes it again, so bad input leaves no KV cache behind.
     */
    public TaskReply execute(ExecuteTask task) {
        String sessionId = task.params().sessionId();
        boolean existed = sessions.containsKey(sessionId);
        TaskReply reply = attempt(task);
        if (!reply.isOk() && !existed) {
            release(sessionId);
        }
        return reply;
    }

    private TaskReply attempt(ExecuteTask task) {
        inFlight.incrementAndGet();
        try {
            TaskParams params = task.params();
            String problem = check(params, task.input());
            if (problem != null) {
                return TaskReply.failed(task.envelope().reply(), describe(problem));
            }
            int[] prefix = task.input().prefix();
            if (params.firstPosition() > prefix.length && !sessions.containsKey(params.sessionId())) {
                return TaskReply.failed(task.envelope().reply(), describe("session " + params.sessionId()
                        + " is not open here (released or expired); a step at position " + params.firstPosition()
                        + " needs the KV cache of the positions before it"));
            }
            ShardSession session = sessionFor(params.sessionId(), params.layers(), prefix);
            if (session == null) {
                return TaskReply.failed(task.envelope().reply(), SwarmBusyException.REPLY_PREFIX
                        + describe("no free session slot (" + settings.maxSessions() + " sessions open)"));
            }
            int step = task.relay() == null ? -1 : task.relay().step();
            session.running(step);
            session.lock().lock();
            try {
                long start = System.nanoTime();
                TaskResult result = run(session, params, task.input());
                session.touch();
                if (step >= 0) {
                    session.finished(step);
                }
                return TaskReply.ok(task.envelope().reply(), result, System.nanoTime() - start);
            } finally {
                session.running(-1);
                session.lock().unlock();
            }
        } catch (ShardInput.InvalidHiddenStatesException e) {
            // The engine refused what the previous hop sent: its fault, which the coordinator routes around.
            return TaskReply.failed(task.envelope().reply(), TaskReply.INVALID_INPUT_PREFIX + describe(e.getMessage()
                    + " from " + task.envelope().from()));
        } catch (KvCacheBudget.BudgetExceededException e) {
            return TaskReply.failed(task.envelope().reply(), SwarmBusyException.REPLY_PREFIX + describe(e.getMessage()));
        } catch (PrefixLostException e) {
            return TaskReply.failed(task.envelope().reply(), TaskReply.PREFIX_LOST_PREFIX + describe(e.getMessage()));
        } catch (KvCache.ContextFullException e) {
            return TaskReply.failed(task.envelope().reply(), "context_full: " + e.getMessage());
        } catch (RuntimeException e) {
            return TaskReply.failed(task.envelope().reply(), describe(e.getMessage() == null ? e.toString() : e.getMessage()));
        } finally {
            inFlight.decrementAndGet();
        }
    }

    /**
     * The relayed step of {@code sessionId} waiting here for the engine (behind other sessions'
     * rows) or running on it, or -1: a coordinator whose step is late extends its deadline while
     * the step is on its way through a busy shard instead of routing around a working one.
     */
    public int runningStep(String sessionId) {
        ShardSession session = sessions.get(sessionId);
        return session == null ? -1 : session.runningStep();
    }

    /** The number of the last relayed step of {@code sessionId} that ran here, or -1 (none, or no such session). */
    public int lastStep(String sessionId) {
        ShardSession session = sessions.get(sessionId);
        return session == null ? -1 : session.lastStep();
    }

    private String check(TaskParams params, TaskInput input) {
        LayerRange span = params.layers();
        if (!layers().contains(span)) {
            return "asked to run layers " + span + " but this shard holds " + layers();
        }
        boolean endsModel = span.endsModel(engine.config().blockCount());
        if (params.finalShard() != endsModel) {
            return params.finalShard() ? "asked to sample after layers " + span + ", which do not end the model"
                    : "layers " + span + " end the model but it was not asked to sample";
        }
        if (span.startsModel() == input.hasHidden()) {
            return span.startsModel() ? "layers " + span + " embed token ids but it was sent hidden states"
                    : "layers " + span + " need hidden states but it was sent only token ids";
        }
        return null;
    }

    private String describe(String problem) {
        return "shard " + shardId + " (layers " + layers() + "): " + problem;
    }

    /**
     * The open session, or a new one: empty, or after a cached {@code prefix} copied from the prompt
     * cache ({@link PrefixLostException} when no kept session holds it any more).
     */
    private ShardSession sessionFor(String sessionId, LayerRange span, int[] prefix) {
        ShardSession existing = sessions.get(sessionId);
        if (existing != null) {
            return existing;
        }
        synchronized (sessions) {
            // A session that just ended may not be released yet (its release travels separately):
            // wait a moment for a slot rather than refuse a client that asks again at once.
            long deadline = System.nanoTime() + SLOT_WAIT.toNanos();
            long left;
            while (!sessions.containsKey(sessionId) && sessions.size() >= settings.maxSessions()
                    && (left = deadline - System.nanoTime()) > 0) {
                try {
                    sessions.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            existing = sessions.get(sessionId);
            if (existing == null && sessions.size() < settings.maxSessions()) {
                existing = new ShardSession(open(sessionId, span, prefix), span, prefix);
                sessions.put(sessionId, existing);
            }
            return existing;
        }
    }

    private Session open(String sessionId, LayerRange span, int[] prefix) {
        if (prefix.length == 0) {
            return engine.openSession(sessionId);
        }
        Session session = promptCache.open(engine, sessionId, prefix, span);
        if (session == null) {
            throw new PrefixLostException("the prompt cache holds no session over layers " + span + " that starts with these "
                    + prefix.length + " tokens (it holds " + promptCache.longestPrefix(prefix, prefix.length, span)
                    + " of them): evicted, or never here; send the step from position 0");
        }
        return session;
    }

    /** A step asked to start after a cached prefix that this shard does not hold. */
    static final class PrefixLostException extends RuntimeException {
        PrefixLostException(String message) {
            super(message);
        }
    }

    private void slotFreed() {
        synchronized (sessions) {
            sessions.notifyAll();
        }
    }

    private TaskResult run(ShardSession session, TaskParams params, TaskInput input) {
        int n = input.tokens().length;
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) {
            positions[i] = params.firstPosition() + i;
        }
        session.replacing(params.firstPosition());
        ShardInput engineInput = input.hasHidden()
                ? new ShardInput.Hidden(input.hidden(), n, input.width())
                : new ShardInput.Tokens(input.tokens());
        ForwardResult result = loop.run(new ShardEngine.Step(session.engineSession(), positions, engineInput, false,
                params.layers()));
        session.fed(params.firstPosition(), input.tokens());
        if (result.kind() == ForwardResult.Kind.HIDDEN) {
            if (CORRUPT_HIDDEN_STATES) {
                Arrays.fill(result.data(), Float.NaN);
            }
            return new TaskResult.Hidden(result.data(), result.rows(), result.width());
        }
        return sample(session, params, input, result.data());
    }

    private TaskResult.Sampled sample(ShardSession session, TaskParams params, TaskInput input, float[] logits) {
        SamplingParams sampling = params.sampling();
        int vocab = engine.config().vocabularySize();
        TokenHistory history = session.historyFor(params.firstPosition(), sampling.config(), params.drawsBefore(),
                input.prefix());
        history.addAll(input.tokens());
        if (sampling.ignoreEos()) {
            endOfGeneration.apply(logits);
        }
        int token = session.sampler().sample(logits, vocab, history);
        float logprob = TopLogprobs.logprobOf(logits, vocab, token);
        List<TokenLogprob> top = sampling.topLogprobs() > 0
                ? TopLogprobs.compute(logits, vocab, sampling.topLogprobs())
                : List.of();
        return new TaskResult.Sampled(token, logprob, top, session.sampler().draws());
    }

    /**
     * Ends a session; its KV cache goes to the prompt cache (which frees it when room is needed).
     * Unknown ids are ignored (a release may come twice).
     */
    public boolean release(String sessionId) {
        ShardSession session = sessions.remove(sessionId);
        if (session == null) {
            return false;
        }
        slotFreed();
        session.lock().lock();
        try {
            keep(session);
        } finally {
            session.lock().unlock();
        }
        return true;
    }

    /** Hands an ended session's KV cache to the prompt cache. */
    private void keep(ShardSession session) {
        promptCache.keep(session.engineSession(), session.fedTokens(), session.span());
    }

    /** Closes sessions idle for longer than the timeout; returns how many. */
    public int expireIdle() {
        long limit = settings.sessionIdleTimeout().toNanos();
        long now = System.nanoTime();
        int expired = 0;
        for (var entry : sessions.entrySet()) {
            ShardSession session = entry.getValue();
            if (now - session.lastUsedNanos() > limit && session.lock().tryLock()) {
                try {
                    if (sessions.remove(entry.getKey(), session)) {
                        slotFreed();
                        keep(session);
                        expired++;
                    }
                } finally {
                    session.lock().unlock();
                }
            }
        }
        return expired;
    }

    /** The finished sessions kept for reuse (for its counters). */
    public PromptCache promptCache() {
        return promptCache;
    }

    /** The loop that runs this shard's forward passes (for its counters). */
    public EngineLoop loop() {
        return loop;
    }

    /** Stops the engine loop and closes every session; the engine stays open (its owner closes it). */
    @Override
    public void close() {
        loop.close();
        for (String id : List.copyOf(sessions.keySet())) {
            release(id);
        }
        promptCache.close();
    }
}
