package io.llmswarm.cli;

import io.llmswarm.cluster.ClusterSettings;

import java.nio.file.Path;

/**
 * Everything a swarm node needs to start: the model file, the layers to serve ({@code auto} or
 * {@code A-B}), how to join the cluster, the HTTP port (for the gateway), kernel threads, and the
 * memory the node may use for weights and KV caches (in bytes), and how it copes with faults.
 */
public record NodeSettings(Path model, String layers, ClusterSettings cluster, int httpPort, int threads,
                           long memoryBytes, Resilience resilience) {

    public static final String AUTO = "auto";

    public NodeSettings {
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

    /** Settings with the default {@link Resilience}. */
    public NodeSettings(Path model, String layers, ClusterSettings cluster, int httpPort, int threads, long memoryBytes) {
        this(model, layers, cluster, httpPort, threads, memoryBytes, Resilience.defaults());
    }

    public NodeSettings withResilience(Resilience value) {
        return new NodeSettings(model, layers, cluster, httpPort, threads, memoryBytes, value);
    }

    public boolean autoLayers() {
        return layers == null || layers.equalsIgnoreCase(AUTO);
    }
}
