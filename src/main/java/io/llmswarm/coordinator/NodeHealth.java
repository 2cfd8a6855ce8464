package io.llmswarm.coordinator;

import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A circuit breaker per node (Vert.x's): the outcome of every step counts for the nodes it went
 * through (a fault only for the node at fault); after {@code failuresToOpen} faults within a minute (timeouts,
 * error replies, invalid results) the breaker opens and routes avoid that node for
 * {@code openFor}; then one trial step is let through (half-open) and its outcome closes or
 * re-opens the breaker. Step deadlines are the event bus's, so the breakers keep no timeout.
 */
public final class NodeHealth {

    /** When a node is avoided, and for how long. */
    public record Settings(int failuresToOpen, Duration openFor) {
        public Settings {
            if (failuresToOpen < 1) {
                throw new IllegalArgumentException("a circuit breaker opens after at least one failure; got " + failuresToOpen);
            }
        }

        public static Settings defaults() {
            return new Settings(3, Duration.ofSeconds(30));
        }
    }

    /** Failures older than this no longer count towards opening a breaker. */
    private static final Duration ROLLING_WINDOW = Duration.ofSeconds(60);

    private final Vertx vertx;
    private final CircuitBreakerOptions options;
    private final Map<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();
    private final Consumer<Incident> changes;

    /** {@code changes} hears each breaker that opens, and each opened one that closes again. */
    NodeHealth(Vertx vertx, Settings settings, Consumer<Incident> changes) {
        this.vertx = vertx;
        this.changes = changes;
        this.options = new CircuitBreakerOptions().setMaxFailures(settings.failuresToOpen()).setTimeout(-1)
                .setResetTimeout(settings.openFor().toMillis()).setNotificationAddress(null)
                .setFailuresRollingWindow(Math.max(ROLLING_WINDOW.toMillis(), settings.openFor().toMillis()));
    }

    /** Runs a step to {@code nodeId} through its breaker: fails at once while the breaker is open. */
    <T> Future<T> call(String nodeId, Supplier<Future<T>> step) {
        return breaker(nodeId).execute(step);
    }

    /** Counts a step that went through {@code nodeId} well (a half-open breaker closes again). */
    void succeeded(String nodeId) {
        CircuitBreaker breaker = breakers.get(nodeId);
        if (breaker != null) {
            breaker.<Void>execute(Promise::complete);
        }
    }

    /** Counts a fault of {@code nodeId} (a timeout, an error, an invalid result) towards opening its breaker. */
    void failed(String nodeId, Throwable cause) {
        breaker(nodeId).<Void>execute(promise -> promise.fail(cause));
    }

    /** True while the node's breaker is open: routes should not use it. */
    public boolean isAvoided(String nodeId) {
        CircuitBreaker breaker = breakers.get(nodeId);
        return breaker != null && breaker.state() == CircuitBreakerState.OPEN;
    }

    /**
     * Forgets the breakers of nodes not in {@code present} (nodes that left the swarm: a node that
     * comes back is a new member with a new id), so a long-lived coordinator keeps no breaker per
     * node it ever saw.
     */
    void forgetAllBut(Set<String> present) {
        breakers.entrySet().removeIf(entry -> {
            if (present.contains(entry.getKey())) {
                return false;
            }
            entry.getValue().close();
            return true;
        });
    }

    /** The nodes this coordinator keeps a breaker for. */
    Set<String> tracked() {
        return Set.copyOf(breakers.keySet());
    }

    /** Closes every breaker. */
    void close() {
        forgetAllBut(Set.of());
    }

    private CircuitBreaker breaker(String nodeId) {
        return breakers.computeIfAbsent(nodeId, id -> {
            AtomicBoolean opened = new AtomicBoolean();
            return CircuitBreaker.create("node-" + id, vertx, options)
                    .openHandler(v -> {
                        opened.set(true);
                        changes.accept(new Incident.Breaker(id, true));
                    })
                    .closeHandler(v -> {
                        if (opened.getAndSet(false)) {
                            changes.accept(new Incident.Breaker(id, false));
                        }
                    });
        });
    }
}
