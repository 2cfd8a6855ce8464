package io.llmswarm.replica;

import io.llmswarm.cluster.ReplicaBatch;
import io.llmswarm.cluster.ReplicaRequest;
import io.llmswarm.llamacpp.LlamaCppModel;
import io.llmswarm.llamacpp.Sampling;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A whole model in llama.cpp serving generations: each runs on its own platform thread (a JNI
 * wait would pin a virtual thread's carrier), its pieces collect in a {@link Stream} until the
 * event-bus side drains them. llama.cpp decodes up to {@code limit} sequences at once (its
 * parallel slots) and queues the rest; the in-flight count is the node's announced load.
 */
public final class ReplicaService implements AutoCloseable {

    private final LlamaCppModel model;
    private final int limit;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger cancelled = new AtomicInteger();
    private final AtomicInteger started = new AtomicInteger();
    private final Map<String, Stream> streams = new ConcurrentHashMap<>();
    private final ExecutorService threads = Executors.newThreadPerTaskExecutor(
            Thread.ofPlatform().name("llm-replica-", 0).daemon().factory());

    /** @param limit how many generations llama.cpp runs at once (its parallel slots) */
    public ReplicaService(LlamaCppModel model, int limit) {
        this.model = model;
        this.limit = limit;
    }

    /**
     * Starts a generation; {@code onChange} runs (on the generation's thread) when the stream gets
     * its first piece since it was last drained, or ends.
     */
    public Stream start(ReplicaRequest request, Runnable onChange) {
        Stream stream = new Stream(onChange);
        if (streams.putIfAbsent(request.sessionId(), stream) != null) {
            throw new IllegalArgumentException("session " + request.sessionId() + " is already generating here");
        }
        inFlight.incrementAndGet();
        started.incrementAndGet();
        try {
            threads.execute(() -> run(request, stream));
        } catch (RuntimeException e) {
            streams.remove(request.sessionId());
            inFlight.decrementAndGet();
            throw e;
        }
        return stream;
    }

    private void run(ReplicaRequest request, Stream stream) {
        try {
            boolean[] stopped = {false};
            model.generate(request.prompt(), Sampling.of(request.sampling(), request.maxTokens(), request.ignoreEos()),
                    stream::add, () -> stopped[0] = stream.isCancelled(), true); // a slot reuses a prompt's cached start
            if (stopped[0]) {
                cancelled.incrementAndGet();
            }
            stream.end(null);
        } catch (RuntimeException | Error e) {
            stream.end("llama.cpp failed: " + e);
        } finally {
            streams.remove(request.sessionId());
            inFlight.decrementAndGet();
        }
    }

    /** Stops a session's generation after its next token (a session that is not here is ignored). */
    public void cancel(String sessionId) {
        Stream stream = streams.get(sessionId);
        if (stream != null) {
            stream.cancel();
        }
    }

    /** How many generations llama.cpp runs at once. */
    public int limit() {
        return limit;
    }

    /** Generations started and not yet ended (running or queued in llama.cpp). */
    public int load() {
        return inFlight.get();
    }

    /** Generations started here since the node began. */
    public int startedCount() {
        return started.get();
    }

    /** Generations that ended because they were cancelled (a client gone, a stop string, a coordinator lost). */
    public int cancelledCount() {
        return cancelled.get();
    }

    public LlamaCppModel model() {
        return model;
    }

    /** Cancels every generation; the native model stays loaded (java-llama.cpp cannot free it). */
    @Override
    public void close() {
        streams.values().forEach(Stream::cancel);
        threads.shutdown();
    }

    /** One generation's pieces not yet sent, and how it ended. Thread-safe. */
    public static final class Stream {
        private final Runnable onChange;
        private final List<String> pieces = new ArrayList<>();
        private boolean done;
        private String error;
        private boolean signalled;
        private volatile boolean cancelled;

        Stream(Runnable onChange) {
            this.onChange = onChange;
        }

        void add(String piece) {
            boolean signal;
            synchronized (this) {
                pieces.add(piece);
                signal = !signalled;
                signalled = true;
            }
            if (signal) {
                onChange.run();
            }
        }

        void end(String failure) {
            synchronized (this) {
                done = true;
                error = failure;
                signalled = true;
            }
            onChange.run();
        }

        void cancel() {
            cancelled = true;
        }

        boolean isCancelled() {
            return cancelled;
        }

        /** Takes the pieces collected so far, with whether (and how) the generation has ended. */
        public synchronized ReplicaBatch drain() {
            ReplicaBatch batch = new ReplicaBatch(pieces, done, error);
            pieces.clear();
            signalled = false;
            return batch;
        }
    }
}
