package io.llmswarm.coordinator;

import io.llmswarm.cluster.ReplicaRequest;
import io.llmswarm.cluster.Route;
import io.vertx.core.Vertx;

import java.time.Duration;
import java.util.List;

/**
 * A run's part on a llama.cpp replica (the route's one hop), which generates on its own and
 * streams text pieces back ({@link ReplicaStream}); a replica silent for longer than the step
 * timeout, or {@link #SILENCE} at most, is gone. The pieces, the end and a failure go to the run.
 */
final class ReplicaLeg implements Leg {

    /** A replica answers at least once a second; silence this long means it is gone. */
    static final Duration SILENCE = Duration.ofSeconds(10);

    private final Route route;
    private final ShardTiming[] timings;
    private final ReplicaStream stream;

    /** @param listener the run's handling of the stream, called on the run's context */
    ReplicaLeg(Vertx vertx, Coordinator coordinator, Route route, ReplicaStream.Listener listener) {
        this.route = route;
        Route.Hop replica = route.first();
        this.timings = new ShardTiming[] {new ShardTiming(replica.nodeId(), replica.span(), 0, 0, 0)};
        long timeout = Math.min(coordinator.settings().stepTimeout().toMillis(), SILENCE.toMillis());
        this.stream = new ReplicaStream(vertx, coordinator.health(), replica, timeout, new ReplicaStream.Listener() {
            @Override
            public boolean onPieces(List<String> pieces, long roundTripNanos) {
                timings[0] = timings[0].add(roundTripNanos, roundTripNanos);
                return listener.onPieces(pieces, roundTripNanos);
            }

            @Override
            public void onEnd() {
                listener.onEnd();
            }

            @Override
            public void onFailure(FaultCounters.Kind kind, String why) {
                listener.onFailure(kind, why);
            }
        });
    }

    void start(ReplicaRequest request) {
        stream.start(request);
    }

    @Override
    public Route route() {
        return route;
    }

    @Override
    public List<ShardTiming> timings() {
        return List.of(timings);
    }

    @Override
    public void stop() {
        stream.stop();
    }
}
