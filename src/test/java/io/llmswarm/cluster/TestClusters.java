package io.llmswarm.cluster;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Loopback clusters for tests: a random cluster name, free ports, every member listed separately. */
public final class TestClusters {

    static {
        // Hazelcast waits 5 s before joining by default; members of a test know each other at once.
        System.setProperty("hazelcast.wait.seconds.before.join", "0");
        System.setProperty("hazelcast.logging.type", "none");
    }

    private final String name = "test-" + UUID.randomUUID();
    private final List<Integer> ports;

    public TestClusters(int members) {
        this.ports = freePorts(members);
    }

    /** Settings of member {@code i}; every member lists all the others. */
    public ClusterSettings member(int i) {
        List<String> all = ports.stream().map(p -> "127.0.0.1:" + p).toList();
        return new ClusterSettings(name, "127.0.0.1", ports.get(i), all, false, false);
    }

    public List<String> memberAddresses() {
        return ports.stream().map(p -> "127.0.0.1:" + p).toList();
    }

    public String name() {
        return name;
    }

    public static List<Integer> freePorts(int n) {
        return LoopbackPorts.free(n);
    }

    /** Polls until {@code condition} holds; fails with {@code what} (and its current state) after the timeout. */
    public static void awaitTrue(Duration timeout, BooleanSupplier condition, Supplier<String> what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what.get());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }
    }
}
