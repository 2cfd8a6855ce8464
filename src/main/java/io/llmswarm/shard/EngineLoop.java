package io.llmswarm.shard;

import io.llmswarm.engine.ForwardResult;
import io.llmswarm.engine.ShardEngine;
import io.llmswarm.engine.ShardInput;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.LongAdder;

/**
 * The one thread that runs a shard's engine, in the manner of llama.cpp's server loop: each turn
 * it takes every waiting decode step (one token each) and prompt tokens of waiting steps up to a
 * budget of rows, runs them as one batched forward pass (each weight read once for all rows), and
 * hands each step its rows. A long prompt goes through in chunks across turns, so the other
 * sessions keep decoding meanwhile. Results do not depend on the batching: a row's bits are the
 * same alone or in any batch ({@link ShardEngine#forward(List)}).
 *
 * <p>Callers submit from any thread and wait on the returned future; a session has at most one
 * step waiting (the service holds the session's lock while it waits).
 */
public final class EngineLoop implements AutoCloseable {

    /**
     * A turn waits for the last turn's sessions at most a tenth of the last turn's time (and at
     * most 20 ms). Measured on one node with 16 streams (2 cores, TinyLlama-shaped Q8_0): without
     * it a turn took 7-8 of the 16 sessions' steps, with it 12-14.
     */
    private static final long GATHER_FRACTION = 10;
    private static final long MAX_GATHER_NANOS = 20_000_000;
    /** Turns that do not gather after a gather in which not even half of the last turn's sessions came back. */
    private static final int SKIPPED_AFTER_VAIN_GATHER = 8;
    private final ShardEngine engine;
    private final int batchTokens;
    private final LongAdder turns = new LongAdder();
    private final LongAdder decodeRows = new LongAdder();
    private final LongAdder promptRows = new LongAdder();
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private final Thread thread;
    private boolean closed;

    /** @param batchTokens prompt rows one turn takes at most (decode steps are always taken) */
    public EngineLoop(ShardEngine engine, int batchTokens, String name) {
        if (batchTokens < 1) {
            throw new IllegalArgumentException("a turn needs room for at least one token; got " + batchTokens);
        }
        this.engine = engine;
        this.batchTokens = batchTokens;
        this.thread = Thread.ofPlatform().daemon().name(name).start(this::run);
    }

    /** Queues a step; the future completes with its result, or with the engine's exception. */
    public CompletableFuture<ForwardResult> submit(ShardEngine.Step step) {
        Pending pending = new Pending(step);
        synchronized (waiting) {
            if (closed) {
                pending.result.completeExceptionally(new IllegalStateException("the shard's engine loop has stopped"));
                return pending.result;
            }
            waiting.add(pending);
            waiting.notifyAll();
        }
        return pending.result;
    }

    /** Runs a step through the loop and waits for it: the engine's exceptions come out as thrown. */
    public ForwardResult run(ShardEngine.Step step) {
        try {
            return submit(step).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e;
        }
    }

    private void run() {
        List<Pending> turn = new ArrayList<>();
        int expected = 0;
        long gatherUntil = 0;
        // Turns left before gathering is tried again after a gather that waited in vain (on a shard in
        // the middle of a pipeline the last turn's sessions are on other shards, not on their way back).
        int skipGathers = 0;
        while (true) {
            synchronized (waiting) {
                try {
                    while (waiting.isEmpty() && !closed) {
                        waiting.wait();
                    }
                    // The sessions of the last turn usually come back with their next token a moment
                    // after it ends; waiting a little for them keeps them in one batch instead of
                    // splitting them into two cohorts that take turns (each reading all weights).
                    if (skipGathers > 0) {
                        skipGathers--;
                    } else {
                        while (!closed && waiting.size() < expected) {
                            long left = gatherUntil - System.nanoTime();
                            if (left <= 0) {
                                // In vain when not even half came back: the sessions are elsewhere.
                                skipGathers = waiting.size() * 2 < expected ? SKIPPED_AFTER_VAIN_GATHER : 0;
                                break;
                            }
                            waiting.wait(left / 1_000_000, (int) (left % 1_000_000));
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    closed = true;
                }
                if (closed) {
                    for (Pending p : waiting) {
                        p.result.completeExceptionally(new IllegalStateException("the shard's engine loop has stopped"));
                    }
                    waiting.clear();
                    return;
                }
                turn.clear();
                turn.addAll(waiting);
                waiting.clear();
            }
            long start = System.nanoTime();
            List<Pending> unfinished = turn(turn);
            long end = System.nanoTime();
            expected = turn.size();
            gatherUntil = end + Math.min((end - start) / GATHER_FRACTION, MAX_GATHER_NANOS);
            if (!unfinished.isEmpty()) {
                // Steps with prompt rows left go first next turn, in their order.
                synchronized (waiting) {
                    for (int i = unfinished.size() - 1; i >= 0; i--) {
                        waiting.addFirst(unfinished.get(i));
                    }
                }
            }
        }
    }

    /** One turn over the steps taken; returns those with rows left. */
    private List<Pending> turn(List<Pending> taken) {
        int budget = batchTokens;
        List<Pending> chosen = new ArrayList<>();
        List<ShardEngine.Step> chunks = new ArrayList<>();
        // Every decode step first, then prompt rows up to the budget, oldest first.
        for (Pending p : taken) {
            if (p.remaining() == 1) {
                chosen.add(p);
                chunks.add(p.chunk(1));
                budget--;
            }
        }
        for (Pending p : taken) {
            if (p.remaining() > 1 && budget > 0) {
                int rows = Math.min(p.remaining(), budget);
                chosen.add(p);
                chunks.add(p.chunk(rows));
                budget -= rows;
            }
        }
        turns.increment();
        for (ShardEngine.Step chunk : chunks) {
            (chunk.input().tokenCount() == 1 ? decodeRows : promptRows).add(chunk.input().tokenCount());
        }
        List<ForwardResult> results;
        try {
            results = engine.forward(chunks);
        } catch (RuntimeException | Error batchFailed) {
            // Find the step at fault: each alone (a failed pass computed nothing any step keeps).
            results = new ArrayList<>();
            for (int i = 0; i < chunks.size(); i++) {
                try {
                    results.add(engine.forward(List.of(chunks.get(i))).getFirst());
                } catch (RuntimeException | Error e) {
                    chosen.get(i).result.completeExceptionally(e);
                    results.add(null);
                }
            }
        }
        List<Pending> unfinished = new ArrayList<>();
        for (Pending p : taken) {
            int at = chosen.indexOf(p);
            if (at < 0) {
                unfinished.add(p);
            } else if (results.get(at) != null && !p.took(results.get(at))) {
                unfinished.add(p);
            }
        }
        return unfinished;
    }

    /** Batched passes run so far. */
    public long turns() {
        return turns.sum();
    }

    /** Rows of decode steps (one token each) run so far. */
    public long decodeRows() {
        return decodeRows.sum();
    }

    /** Rows of prompts (steps of several tokens, in chunks) run so far. */
    public long promptRows() {
        return promptRows.sum();
    }

    /** Stops the loop after the current turn; steps still waiting fail. */
    @Override
    public void close() {
        synchronized (waiting) {
            closed = true;
            waiting.notifyAll();
        }
    }

    /** A step on its way through the loop: how many of its rows have run, and what they gave. */
    private static final class Pending {
        final ShardEngine.Step step;
        final CompletableFuture<ForwardResult> result = new CompletableFuture<>();
        final int rows;
        int done;
        int chunkRows;
        float[] hidden;

        Pending(ShardEngine.Step step) {
            this.step = step;
            this.rows = step.input().tokenCount();
        }

        int remaining() {
            return rows - done;
        }

        /** The next {@code n} rows as a step of their own. */
        ShardEngine.Step chunk(int n) {
            chunkRows = n;
            if (done == 0 && n == rows) {
                return step;
            }
            int[] positions = Arrays.copyOfRange(step.positions(), done, done + n);
            ShardInput input = switch (step.input()) {
                case ShardInput.Tokens tokens -> new ShardInput.Tokens(Arrays.copyOfRange(tokens.ids(), done, done + n));
                case ShardInput.Hidden h -> new ShardInput.Hidden(
                        Arrays.copyOfRange(h.states(), done * h.width(), (done + n) * h.width()), n, h.width());
            };
            return new ShardEngine.Step(step.session(), positions, input, step.allLogits(), step.span());
        }

        /** Takes a chunk's result; true when the step is complete (its future then holds the whole result). */
        boolean took(ForwardResult chunk) {
            boolean first = done == 0;
            done += chunkRows;
            boolean complete = done == rows;
            if (first && complete) {
                result.complete(chunk);
                return true;
            }
            if (chunk.kind() == ForwardResult.Kind.HIDDEN || step.allLogits()) {
                // Rows of every chunk, in order.
                if (hidden == null) {
                    hidden = new float[rows * chunk.width()];
                }
                System.arraycopy(chunk.data(), 0, hidden, (done - chunkRows) * chunk.width(), chunk.data().length);
                if (complete) {
                    result.complete(new ForwardResult(chunk.kind(), hidden, rows, chunk.width()));
                }
            } else if (complete) {
                // Logits of the last row only: the last chunk's.
                result.complete(chunk);
            }
            return complete;
        }
    }
}
