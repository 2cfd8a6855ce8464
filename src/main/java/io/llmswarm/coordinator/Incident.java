package io.llmswarm.coordinator;

/**
 * What a coordinator tells those who watch it ({@link Coordinator#watch}) as it happens: a request
 * that moved to a new route, a node's circuit breaker opening or closing again. The web UI's event
 * list shows them next to the joins and leaves it sees in the swarm view.
 */
public sealed interface Incident {

    /** Request {@code requestId} lost a hop ({@code reason}) and goes on over {@code route}, its {@code attempt}th fail-over. */
    record FailOver(String requestId, String reason, int attempt, String route) implements Incident {
    }

    /** Node {@code nodeId}'s breaker opened (routes avoid it) or closed (it is used again). */
    record Breaker(String nodeId, boolean open) implements Incident {
    }
}
