package io.llmswarm.coordinator;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.llmswarm.cluster.Addresses;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Pipeline state per request in a Hazelcast map (JSON values), each entry expiring after a while.
 * Writes are asynchronous so that the decode loop never waits on the cluster.
 */
public final class PipelineStateStore {

    private final IMap<String, String> map;
    private final Duration timeToLive;

    public PipelineStateStore(HazelcastInstance hazelcast, Duration timeToLive) {
        this.map = hazelcast.getMap(Addresses.PIPELINE_MAP);
        this.timeToLive = timeToLive;
    }

    public void record(PipelineRecord state) {
        map.setAsync(state.requestId(), state.toJson().encode(), timeToLive.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The state of a request, if it is known and not expired. Blocks. */
    public Optional<JsonObject> find(String requestId) {
        return Optional.ofNullable(map.get(requestId)).map(JsonObject::new);
    }
}
