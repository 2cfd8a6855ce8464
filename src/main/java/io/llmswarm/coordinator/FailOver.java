package io.llmswarm.coordinator;

import io.llmswarm.cluster.Route;
import io.llmswarm.cluster.SwarmView;
import io.vertx.circuitbreaker.RetryPolicy;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * A run's fail-overs: how many it made, which nodes failed it, the back-off before the next
 * route, and which route that is. A run that streamed tokens with ids goes on through another
 * pipeline (replaying the ids exactly) or else a replica (from their text); tokens a replica gave
 * as text only another replica can continue. Routes avoid the nodes that failed this run and those
 * whose circuit is open; with no other way, the failed nodes are tried again (a slow node may
 * answer this time) unless they left or their circuit is open.
 */
final class FailOver {

    /** The route to go on with, or why there is none. */
    record Next(Route route, String none) {
    }

    private final Coordinator coordinator;
    private final RetryPolicy backoff;
    private final Set<String> failedNodes = new HashSet<>();
    private int attempt;

    FailOver(Coordinator coordinator) {
        this.coordinator = coordinator;
        this.backoff = RetryPolicy.exponentialDelayWithJitter(coordinator.settings().retryBackoff().toMillis(),
                coordinator.settings().maxBackoff().toMillis());
    }

    /** Fail-overs made so far; the run's sessions are named after it. */
    int attempt() {
        return attempt;
    }

    /** Whether the run may not move again. */
    boolean exhausted() {
        return attempt >= coordinator.settings().maxFailovers();
    }

    /** A node failed this run: routes avoid it from now on; returns the back-off before the next route, in ms. */
    long failed(String nodeId) {
        failedNodes.add(nodeId);
        return Math.max(1, backoff.delay(null, attempt + 1));
    }

    /** The session id of the run's current attempt: the request id, then {@code id#1}, {@code id#2}, … */
    String sessionId(String requestId) {
        return attempt == 0 ? requestId : requestId + "#" + attempt;
    }

    /** The view without the nodes that failed this run and those whose circuit breaker is open. */
    SwarmView usable(SwarmView view) {
        return new SwarmView(view.fingerprint(), view.blockCount(), view.shards().stream()
                .filter(s -> !failedNodes.contains(s.nodeId()) && !coordinator.health().isAvoided(s.nodeId()))
                .toList());
    }

    /** The view without the nodes whose circuit breaker is open. */
    SwarmView withoutAvoided(SwarmView view) {
        return new SwarmView(view.fingerprint(), view.blockCount(), view.shards().stream()
                .filter(s -> !coordinator.health().isAvoided(s.nodeId())).toList());
    }

    /**
     * The next route after a fault ({@code why}), counting the attempt when there is one.
     *
     * @param streamed    tokens the run gave so far
     * @param textSoFar   whether some of them came from a replica, as text without ids
     * @param replicas    whether llama.cpp replicas can serve the request at all
     */
    Next next(SwarmView view, int streamed, boolean textSoFar, boolean replicas, String why) {
        boolean replicasFromStart = replicas && streamed == 0;
        Function<SwarmView, Optional<Route>> choose = v -> textSoFar
                ? coordinator.routes().chooseReplica(v) : coordinator.routes().choose(v, replicasFromStart);
        Optional<Route> route = choose.apply(usable(view));
        if (route.isEmpty() && !textSoFar && streamed > 0 && replicas) {
            route = coordinator.routes().chooseReplica(usable(view));
        }
        if (route.isEmpty()) {
            route = choose.apply(withoutAvoided(view));
        }
        if (route.isEmpty() && textSoFar) {
            return new Next(null, why + "; it had streamed " + streamed + " tokens, which llama.cpp gives as text without"
                    + " token ids, and no other replica can go on from that text");
        }
        if (route.isEmpty()) {
            String missing = withoutAvoided(view).notReadyReason();
            return new Next(null, why + "; no other route: " + (missing != null ? missing : "the remaining shards do not chain"));
        }
        attempt++;
        coordinator.faults().failover();
        return new Next(route.get(), null);
    }
}
