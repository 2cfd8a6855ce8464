package io.llmswarm.cli;

import io.llmswarm.cluster.ClusterSettings;
import io.llmswarm.gateway.GatewaySettings;

import java.nio.file.Path;

/**
 * Everything a swarm node needs to start: the model file, the layers to serve ({@code auto} or
 * {@code A-B}), how to join the cluster, the HTTP port (for the gateway), kernel threads, and the
 * memory the node may use for weights and KV caches (in bytes), how it copes with faults, the
 * gateway's host, API keys and limits, and the KV-cache budget ({@code 0}: a quarter of the
 * memory, at least 64 MiB).
 */
public record NodeSettings(Path model, String layers, ClusterSettings cluster, int httpPort, int threads,
                           long memoryBytes, Resilience resilience, GatewaySettings gateway, long kvCacheBytes) {

    public static final String AUTO = "auto";

    /** Settings with the default {@link Resilience}, the gateway's defaults and the default KV-cache budget. */
    public NodeSettings(Path model, String layers, ClusterSettings cluster, int httpPort, int threads, long memoryBytes) {
        this(model, layers, cluster, httpPort, threads, memoryBytes, Resilience.defaults());
    }

    public NodeSettings {
        if (gateway == null) {
            gateway = GatewaySettings.defaults();
        }
        if (kvCacheBytes < 0) {
            throw new IllegalArgumentException("kv_cache must be positive; got " + kvCacheBytes);
        }
        if (model == null) {
            throw new IllegalArgumentException("a node needs a model: --model FILE.gguf (or \"model\" in conf/node.json,"
                    + " or LLMSWARM_MODEL)");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1; got " + threads);
        }
        if (resilience == null) {
            throw new IllegalArgumentException("a node needs its fault settings (Resilience.defaults() if none)");
        }
        if (memoryBytes <= 0) {
            throw new IllegalArgumentException("memory must be positive; got " + memoryBytes);
        }
    }

    /** The bytes all sessions' KV caches on this node may hold together. */
    public long kvCacheBudget() {
        return kvCacheBytes > 0 ? kvCacheBytes : Math.max(64L << 20, memoryBytes / 4);
    }

    /** Settings with the given {@link Resilience}, the gateway's defaults and the default KV-cache budget. */
    public NodeSettings(Path model, String layers, ClusterSettings cluster, int httpPort, int threads, long memoryBytes,
                        Resilience resilience) {
        this(model, layers, cluster, httpPort, threads, memoryBytes, resilience, GatewaySettings.defaults(), 0);
    }

    public NodeSettings withResilience(Resilience value) {
        return new NodeSettings(model, layers, cluster, httpPort, threads, memoryBytes, value, gateway, kvCacheBytes);
    }

    public NodeSettings withGateway(GatewaySettings value) {
        return new NodeSettings(model, layers, cluster, httpPort, threads, memoryBytes, resilience, value, kvCacheBytes);
    }

    public NodeSettings withKvCacheBytes(long value) {
        return new NodeSettings(model, layers, cluster, httpPort, threads, memoryBytes, resilience, gateway, value);
    }

    public boolean autoLayers() {
        return layers == null || layers.equalsIgnoreCase(AUTO);
    }
}
