package io.llmswarm.cli;

import java.util.concurrent.atomic.AtomicBoolean;

import sun.misc.Signal;

/**
 * A command's planned stop: the first SIGTERM or SIGINT (or a call of the returned trigger, as
 * {@code POST /admin/drain} makes) says so, runs the drain on a thread of its own and then exits
 * 0, so that the shutdown hooks leave the swarm; a second signal exits at once.
 */
final class PlannedStop {

    /** What a drain does; it may be interrupted. */
    @FunctionalInterface
    interface Drain {
        void run() throws InterruptedException;
    }

    private PlannedStop() {
    }

    /** Installs the signal handlers; returns the trigger of the same stop. */
    static Runnable install(String saying, Drain drain) {
        AtomicBoolean stopping = new AtomicBoolean();
        Runnable trigger = () -> {
            if (stopping.compareAndSet(false, true)) {
                System.out.println(saying);
                Thread.ofPlatform().name("drain").start(() -> {
                    try {
                        drain.run();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    System.exit(0);
                });
            }
        };
        sun.misc.SignalHandler onSignal = signal -> {
            if (stopping.get()) {
                System.out.println("stopping now");
                Thread.ofPlatform().name("stop").start(() -> System.exit(0));
            } else {
                trigger.run();
            }
        };
        Signal.handle(new Signal("TERM"), onSignal);
        Signal.handle(new Signal("INT"), onSignal);
        return trigger;
    }
}
