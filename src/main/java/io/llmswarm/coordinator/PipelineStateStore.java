package io.llmswarm.coordinator;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.llmswarm.cluster.Addresses;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Pipeline state per request in a Hazelcast map (JSON values), each entry expiring after a while.
 * Reads and writes are asynchronous so that no event loop (nor the decode loop) waits on the cluster.
 */
public final class PipelineStateStore {

    private final IMap<String, String> map;
    private final Duration timeToLive;

    public PipelineStateStore(HazelcastInstance hazelcast, Duration timeToLive) {
        this.map = hazelcast.getMap(Addresses.PIPELINE_MAP);
        this.timeToLive = timeToLive;
    }

    /** Writes a request's state; the future completes on {@code context} once the map holds it. */
    public Future<Void> record(PipelineRecord state, Context context) {
        return Future.fromCompletionStage(map.setAsync(state.requestId(), state.toJson().encode(), timeToLive.toMillis(),
                TimeUnit.MILLISECONDS), context);
    }

    /**
     * The state of a request, if it is known and not expired; the future completes on {@code context}
     * (Hazelcast's asynchronous read, so no thread waits on the cluster).
     */
    public Future<Optional<JsonObject>> find(String requestId, Context context) {
        return Future.fromCompletionStage(map.getAsync(requestId), context)
                .map(value -> Optional.ofNullable(value).map(JsonObject::new));
    }

    /** The same read, blocking: for callers that are not on an event loop (tests, tools). */
    public Optional<JsonObject> find(String requestId) {
        return Optional.ofNullable(map.get(requestId)).map(JsonObject::new);
    }
}
