package io.llmswarm.coordinator;

import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.AnnouncementRegistry;
import io.llmswarm.cluster.HiddenEncoding;
import io.llmswarm.cluster.RoutePlanner;
import io.llmswarm.cluster.SwarmView;
import io.llmswarm.cluster.TaskReply;
import io.llmswarm.cluster.TaskReplyCodec;
import io.llmswarm.tokenizer.Tokenizer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Runs generations through the swarm for one model: checks the swarm is ready, plans a route,
 * sends the prompt through every shard in one pass, then each new token through all of them
 * again (embedding on the first, output head and sampling on the last). The decode loop of each
 * request runs on a Vert.x event-loop context and never blocks; what is heavy happens on shards.
 */
public final class Coordinator {

    /** The model this coordinator serves: identity, shape (layers, context, hidden width), and its tokenizer. */
    public record ModelInfo(String fingerprint, Shape shape, Tokenizer tokenizer) {

        /** What the coordinator checks shards' results against. */
        public record Shape(int blockCount, int contextLength, int embeddingLength, int vocabularySize) {
        }

        public int blockCount() {
            return shape.blockCount();
        }

        public int contextLength() {
            return shape.contextLength();
        }
    }

    /** Where the coordinator sits in the swarm: its node id, the announcements, the pipeline-state map. */
    public record Wiring(String nodeId, AnnouncementRegistry announcements, PipelineStateStore states) {
    }

    /**
     * How steps run: the time a one-token step may take through the whole route (a step of n
     * tokens gets ceil(n/64) times as long), the encoding of hidden states between shards, which spans routes
     * may use, how often (at most) the pipeline state is written while decoding, how many times a
     * request may fail over to a new route, the back-off before each fail-over (exponential with
     * jitter, from {@code retryBackoff} up to {@code maxBackoff}), and the circuit breaker per node.
     */
    public record Settings(Duration stepTimeout, HiddenEncoding encoding, RoutePlanner.SpanPolicy spanPolicy,
                           Duration stateInterval, int maxFailovers, Duration retryBackoff, Duration maxBackoff,
                           NodeHealth.Settings health) {
        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(60), HiddenEncoding.F32, RoutePlanner.SpanPolicy.SUB_SPANS,
                    Duration.ofMillis(250), 2, Duration.ofMillis(50), Duration.ofSeconds(2), NodeHealth.Settings.defaults());
        }

        public Settings withStepTimeout(Duration value) {
            return new Settings(value, encoding, spanPolicy, stateInterval, maxFailovers, retryBackoff, maxBackoff, health);
        }

        public Settings withEncoding(HiddenEncoding value) {
            return new Settings(stepTimeout, value, spanPolicy, stateInterval, maxFailovers, retryBackoff, maxBackoff, health);
        }

        public Settings withMaxFailovers(int value) {
            return new Settings(stepTimeout, encoding, spanPolicy, stateInterval, value, retryBackoff, maxBackoff, health);
        }

        public Settings withHealth(NodeHealth.Settings value) {
            return new Settings(stepTimeout, encoding, spanPolicy, stateInterval, maxFailovers, retryBackoff, maxBackoff, value);
        }
    }

    private static final System.Logger LOG = System.getLogger(Coordinator.class.getName());

    private final Vertx vertx;
    private final ModelInfo model;
    private final Wiring wiring;
    private final Settings settings;
    private final RoutePlanner planner;
    private final RouteChooser routes;
    /** Where this coordinator's finished generations left prompt prefixes in the shards' prompt caches. */
    private final PrefixDirectory prefixes = new PrefixDirectory(PREFIX_ENTRIES);
    /** Finished generations remembered for prompt-prefix reuse. */
    static final int PREFIX_ENTRIES = 256;
    private final NodeHealth health;
    private final FaultCounters faults = new FaultCounters();
    private final List<Consumer<Incident>> watchers = new CopyOnWriteArrayList<>();
    private final Map<String, PipelineRun> running = new ConcurrentHashMap<>();
    private final String resultsAddress;
    private final MessageConsumer<Object> results;
    private final Future<Void> resultsReady;
    private final Runnable swarmChanged;
    private volatile boolean closed;

    public Coordinator(Vertx vertx, ModelInfo model, Wiring wiring, Settings settings) {
        this.vertx = vertx;
        this.model = model;
        this.wiring = wiring;
        this.settings = settings;
        this.planner = new RoutePlanner(settings.spanPolicy());
        this.routes = new RouteChooser(planner);
        this.health = new NodeHealth(vertx, settings.health(), this::tell);
        // A member that leaves takes its announcement with it: runs routed through it move on at
        // once instead of waiting out their step's deadline, and its circuit breaker is forgotten.
        this.swarmChanged = () -> {
            running.values().forEach(PipelineRun::checkRoute);
            Set<String> present = new HashSet<>();
            wiring.announcements().all().forEach(a -> present.add(a.nodeId()));
            health.forgetAllBut(present);
        };
        wiring.announcements().onChange(swarmChanged);
        // Relayed steps come back here from the last shard of a route (or from a shard that failed).
        this.resultsAddress = Addresses.coordinatorResults(wiring.nodeId() + "." + UUID.randomUUID());
        this.results = vertx.eventBus().consumer(resultsAddress, this::onResult);
        this.resultsReady = results.completion();
    }

    /**
     * Stops taking results and swarm changes and closes the circuit breakers; requests still
     * running fail (their results could no longer arrive). Idempotent.
     */
    public Future<Void> close() {
        if (closed) {
            return Future.succeededFuture();
        }
        closed = true;
        wiring.announcements().removeOnChange(swarmChanged);
        running.values().forEach(PipelineRun::abandon);
        health.close();
        return results.unregister();
    }

    private void onResult(Message<Object> message) {
        Object body;
        try {
            body = message.body();
        } catch (TaskReplyCodec.Malformed e) {
            // Signed as it should be (or no secret), but unusable: the request it names moves on now.
            PipelineRun run = e.requestId() == null ? null : running.get(e.requestId());
            if (run != null) {
                run.onMalformedResult(e);
            } else {
                faults.fault(FaultCounters.Kind.INVALID_RESULT);
                LOG.log(System.Logger.Level.WARNING, "dropped a result for no running request (" + e.requestId()
                        + ", from " + e.from() + "): " + e.getMessage());
            }
            return;
        } catch (RuntimeException e) {
            // A forged result (its proof fails) or unreadable bytes: nothing in it can be trusted, so no run takes it.
            faults.fault(FaultCounters.Kind.INVALID_RESULT);
            LOG.log(System.Logger.Level.WARNING, "dropped a result that failed its checks: " + e.getMessage());
            return;
        }
        if (body instanceof TaskReply reply && reply.relay() != null && reply.envelope() != null
                && reply.envelope().requestId() != null) {
            PipelineRun run = running.get(reply.envelope().requestId());
            if (run != null) {
                run.onResult(reply);
            }
        }
    }

    /** Where this coordinator's relayed steps send their results. */
    String resultsAddress() {
        return resultsAddress;
    }

    /** The swarm as it stands for this coordinator's model. */
    /** Generations this coordinator runs now. */
    public int runningCount() {
        return running.size();
    }

    public SwarmView status() {
        return wiring.announcements().view(model.fingerprint(), model.blockCount());
    }

    /** A request's pipeline state (status, current shard, reason, per-shard latencies), while it has not expired. */
    public Future<Optional<JsonObject>> pipelineState(String requestId) {
        PipelineStateStore states = wiring.states();
        if (states == null) {
            return Future.succeededFuture(Optional.empty());
        }
        return states.find(requestId, vertx.getOrCreateContext());
    }

    public ModelInfo model() {
        return model;
    }

    /**
     * Starts a generation; tokens stream to {@code listener} as they come. The outcome fails with
     * a {@link io.llmswarm.cluster.SwarmNotReadyException} naming the missing layers when the
     * swarm cannot serve the model, or with the failing shard's message.
     */
    public Generation generate(GenerateRequest request, TokenListener listener) {
        PipelineRun run = new PipelineRun(vertx, UUID.randomUUID().toString(), request, listener, this);
        if (closed) {
            run.abandon();
            return run;
        }
        running.put(run.requestId(), run);
        run.outcome().onComplete(done -> running.remove(run.requestId()));
        resultsReady.onComplete(ready -> run.start());
        return run;
    }

    /** Faults seen by this coordinator's requests (timeouts, error replies, invalid results, lost members). */
    public FaultCounters faults() {
        return faults;
    }

    /** The circuit breakers this coordinator keeps per node. */
    /**
     * Calls {@code watcher} with each fail-over and breaker change from now on, on the context where it
     * happened: it must be quick and must not block (the web UI's publishes on the event bus).
     */
    public void watch(Consumer<Incident> watcher) {
        watchers.add(watcher);
    }

    void tell(Incident incident) {
        for (Consumer<Incident> watcher : watchers) {
            try {
                watcher.accept(incident);
            } catch (RuntimeException e) {
                // a watcher's fault is not the generation's: it goes on
            }
        }
    }

    public NodeHealth health() {
        return health;
    }

    Settings settings() {
        return settings;
    }

    Wiring wiring() {
        return wiring;
    }

    RoutePlanner planner() {
        return planner;
    }

    /** Where finished generations left prompt prefixes that a follow-up can start after. */
    PrefixDirectory prefixes() {
        return prefixes;
    }

    /** Chooses routes among replicas and pipelines, and counts this coordinator's requests on each node. */
    public RouteChooser routes() {
        return routes;
    }
}
