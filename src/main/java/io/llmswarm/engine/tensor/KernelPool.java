package io.llmswarm.engine.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of platform threads that run one job at a time together with the calling thread.
 * A job is a number of chunks handed out through an atomic counter, so a thread that was
 * descheduled on a shared machine simply takes fewer chunks, and the caller never waits for a
 * worker that wakes up late. Workers spin briefly between jobs before parking: a decode step
 * dispatches ~150 jobs, so wake-up latency matters.
 */
final class KernelPool implements AutoCloseable {
    /**
     * How long an idle thread spins before parking. Short: on a shared machine a spinning thread
     * burns the share of CPU the other kernel thread needs (decode under load: 200 us gave
     * 9.4-11.0 tok/s on Q4_0, 20 us 11.8-12.3, parking at once 12.1-12.5).
     */
    private static final long SPIN_NANOS = 20_000;

    /** Work split into chunks {@code 0..chunks-1}. */
    @FunctionalInterface
    interface ChunkedJob {
        void runChunk(int chunk);
    }

    /** One dispatch: its own counters, so a late worker can never touch the next job's chunks. */
    private static final class Job {
        final ChunkedJob work;
        final int chunks;
        final Thread caller;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile boolean callerParked;

        Job(ChunkedJob work, int chunks, Thread caller) {
            this.work = work;
            this.chunks = chunks;
            this.caller = caller;
        }

        void drain() {
            for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
                try {
                    work.runChunk(c);
                } catch (RuntimeException | Error e) {
                    failure.compareAndSet(null, e);
                }
                if (done.incrementAndGet() == chunks && callerParked) {
                    LockSupport.unpark(caller);
                }
            }
        }
    }

    private final Worker[] workers;
    private volatile Job current;
    private volatile long generation;
    private volatile boolean closed;
    private boolean started;

    KernelPool(int threads, String name) {
        if (threads < 1) {
            throw new IllegalArgumentException("a kernel pool needs at least one thread, got " + threads);
        }
        workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker();
            workers[i].thread = Thread.ofPlatform().daemon().name(name + "-" + (i + 1)).unstarted(workers[i]);
        }
    }

    int threads() {
        return workers.length + 1;
    }

    /**
     * Runs every chunk of {@code work} on the pool and the calling thread; returns when all are
     * done. Work dispatched from inside a running job runs inline on the thread that asks (the
     * pool is busy with the outer job, and waiting for it would deadlock).
     */
    void run(int chunkCount, ChunkedJob work) {
        if (insideJob()) {
            for (int c = 0; c < chunkCount; c++) {
                work.runChunk(c);
            }
            return;
        }
        dispatch(chunkCount, work);
    }

    private boolean insideJob() {
        Job job = current;
        if (job == null) {
            return false;
        }
        Thread me = Thread.currentThread();
        if (job.caller == me) {
            return true;
        }
        for (Worker worker : workers) {
            if (worker.thread == me) {
                return true;
            }
        }
        return false;
    }

    private synchronized void dispatch(int chunkCount, ChunkedJob work) {
        if (closed) {
            throw new IllegalStateException("kernel pool is closed");
        }
        if (chunkCount <= 0) {
            return;
        }
        if (workers.length == 0 || chunkCount == 1) {
            for (int c = 0; c < chunkCount; c++) {
                work.runChunk(c);
            }
            return;
        }
        startWorkersOnce();
        Job job = new Job(work, chunkCount, Thread.currentThread());
        current = job;
        generation++;
        for (Worker worker : workers) {
            if (worker.parked) {
                LockSupport.unpark(worker.thread);
            }
        }
        job.drain();
        awaitDone(job);
        current = null;
        Throwable failed = job.failure.get();
        if (failed instanceof RuntimeException e) {
            throw e;
        }
        if (failed instanceof Error e) {
            throw e;
        }
    }

    private static void awaitDone(Job job) {
        long start = System.nanoTime();
        while (job.done.get() != job.chunks) {
            if (System.nanoTime() - start < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                job.callerParked = true;
                if (job.done.get() != job.chunks) {
                    LockSupport.park(job);
                }
                job.callerParked = false;
            }
        }
    }

    private void startWorkersOnce() {
        if (!started) {
            started = true;
            for (Worker worker : workers) {
                worker.thread.start();
            }
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        for (Worker worker : workers) {
            LockSupport.unpark(worker.thread);
        }
    }

    private final class Worker implements Runnable {
        Thread thread;
        volatile boolean parked;

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                long latest = awaitGeneration(seen);
                if (latest < 0) {
                    return;
                }
                seen = latest;
                Job job = current;
                if (job != null) {
                    job.drain();
                }
            }
        }

        /** Waits for a job newer than {@code seen}; -1 once the pool is closed. */
        private long awaitGeneration(long seen) {
            long start = System.nanoTime();
            while (true) {
                if (closed) {
                    return -1;
                }
                long latest = generation;
                if (latest != seen) {
                    return latest;
                }
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    parked = true;
                    if (generation == seen && !closed) {
                        LockSupport.park(this);
                    }
                    parked = false;
                }
            }
        }
    }
}
