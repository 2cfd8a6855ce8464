package io.llmswarm.cli;

import io.llmswarm.cluster.ClusterSettings;
import io.llmswarm.engine.ShardEngine;
import io.llmswarm.gateway.GatewaySettings;
import io.llmswarm.shard.ShardService;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything a swarm node needs to start: the model file, the layers to serve ({@code auto} or
 * {@code A-B}), how to join the cluster, the HTTP port (for the gateway), kernel threads, the
 * memory the node may use for weights and KV caches (in bytes), how it copes with faults, the
 * backend (the Java engine for a span of layers, or llama.cpp for a whole-model replica), the
 * gateway's host, API keys and limits, the KV-cache budget ({@code 0}: a quarter of the
 * memory, at least 64 MiB), and how many finished sessions the prompt cache keeps (0: none).
 */
public record NodeSettings(Path model, String layers, ClusterSettings cluster, int httpPort, int threads,
                           long memoryBytes, Resilience resilience, BackendSettings backend, GatewaySettings gateway,
                           long kvCacheBytes, int batchTokens, int httpPortCount, Duration drainTimeout,
                           int promptCacheEntries) {

    /** How long a stopped node goes on serving the sessions and requests it has before it leaves. */
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(60);

    /** With the default prompt cache ({@link ShardService#DEFAULT_PROMPT_CACHE_ENTRIES} finished sessions). */
    public NodeSettings(Path model, String layers, ClusterSettings cluster, int httpPort, int threads,
                        long memoryBytes, Resilience resilience, BackendSettings backend, GatewaySettings gateway,
                        long kvCacheBytes, int batchTokens, int httpPortCount, Duration drainTimeout) {
        this(model, layers, cluster, httpPort, threads, memoryBytes, resilience, backend, gateway, kvCacheBytes,
                batchTokens, httpPortCount, drainTimeout, ShardService.DEFAULT_PROMPT_CACHE_ENTRIES);
    }

    /** With the default drain timeout. */
    public NodeSettings(Path model, String layers, ClusterSettings cluster, int httpPort, int threads,
                        long memoryBytes, Resilience resilience, BackendSettings backend, GatewaySettings gateway,
                        long kvCacheBytes, int batchTokens, int httpPortCount) {
        this(model, layers, cluster, httpPort, threads, memoryBytes, resilience, backend, gateway, kvCacheBytes,
                batchTokens, httpPortCount, DEFAULT_DRAIN_TIMEOUT);
    }

    public static final String AUTO = "auto";
    public static final int DEFAULT_HTTP_PORT = 8080;
    /** Ports a node started without {@code --http-port} may take: the first free one from 8080. */
    public static final int DEFAULT_HTTP_PORT_COUNT = 20;

    /** Exactly the HTTP port given. */
    public NodeSettings(Path model, String layers, ClusterSettings cluster, int httpPort, int threads,
                        long memoryBytes, Resilience resilience, BackendSettings backend, GatewaySettings gateway,
                        long kvCacheBytes, int batchTokens) {
        this(model, layers, cluster, httpPort, threads, memoryBytes, resilience, backend, gateway, kvCacheBytes,
                batchTokens, 1);
    }

    /** Settings with the engine's default batch ({@link ShardEngine.Options#DEFAULT_MAX_BATCH} rows a turn). */
    public NodeSettings(Path model, String layers, ClusterSettings cluster, int httpPort, int threads,
                        long memoryBytes, Resilience resilience, BackendSettings backend, GatewaySettings gateway,
                        long kvCacheBytes) {
        this(model, layers, cluster, httpPort, threads, memoryBytes, resilience, backend, gateway, kvCacheBytes, 0);
    }

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
        if (backend == null) {
            backend = BackendSettings.java();
        }
        if (gateway == null) {
            gateway = GatewaySettings.defaults();
        }
        if (memoryBytes <= 0) {
            throw new IllegalArgumentException("memory must be positive; got " + memoryBytes);
        }
        if (kvCacheBytes < 0) {
            throw new IllegalArgumentException("kv_cache must be positive; got " + kvCacheBytes);
        }
        if (drainTimeout == null || drainTimeout.isNegative()) {
            throw new IllegalArgumentException("drain_timeout must be 0 or more; got " + drainTimeout);
        }
        if (httpPortCount < 1) {
            throw new IllegalArgumentException("httpPortCount must be at least 1; got " + httpPortCount);
        }
        if (promptCacheEntries < 0) {
            throw new IllegalArgumentException("prompt_cache must be 0 (off) or more; got " + promptCacheEntries);
        }
        if (batchTokens < 0) {
            throw new IllegalArgumentException("batch_tokens must be at least 1; got " + batchTokens);
        }
    }

    /** Settings with the default {@link Resilience}, on the Java engine. */
    public NodeSettings(Path model, String layers, ClusterSettings cluster, int httpPort, int threads, long memoryBytes) {
        this(model, layers, cluster, httpPort, threads, memoryBytes, Resilience.defaults());
    }

    /** Settings on the Java engine, with the gateway's defaults and the default KV-cache budget. */
    public NodeSettings(Path model, String layers, ClusterSettings cluster, int httpPort, int threads, long memoryBytes,
                        Resilience resilience) {
        this(model, layers, cluster, httpPort, threads, memoryBytes, resilience, BackendSettings.java());
    }

    /** Settings with the gateway's defaults and the default KV-cache budget. */
    public NodeSettings(Path model, String layers, ClusterSettings cluster, int httpPort, int threads, long memoryBytes,
                        Resilience resilience, BackendSettings backend) {
        this(model, layers, cluster, httpPort, threads, memoryBytes, resilience, backend, GatewaySettings.defaults(), 0);
    }

    /** The same settings on HTTP port {@code port} exactly (the free one a node picked from its range). */
    public NodeSettings withHttpPort(int port) {
        return toBuilder().httpPort(port).httpPortCount(1).build();
    }

    /** Rows the shard's engine runs in one turn at most: decode steps of all sessions, then prompt tokens. */
    public int engineBatch() {
        return batchTokens > 0 ? batchTokens : ShardEngine.Options.DEFAULT_MAX_BATCH;
    }

    /** The bytes all sessions' KV caches on this node may hold together. */
    public long kvCacheBudget() {
        return kvCacheBytes > 0 ? kvCacheBytes : Math.max(64L << 20, memoryBytes / 4);
    }

    public NodeSettings withResilience(Resilience value) {
        return toBuilder().resilience(value).build();
    }

    public NodeSettings withBackend(BackendSettings value) {
        return toBuilder().backend(value).build();
    }

    public NodeSettings withGateway(GatewaySettings value) {
        return toBuilder().gateway(value).build();
    }

    public NodeSettings withKvCacheBytes(long value) {
        return toBuilder().kvCacheBytes(value).build();
    }

    /** A builder that starts from these settings: the one place besides the record that lists every field. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Changes some settings of a {@link NodeSettings} and checks the result as the record does. */
    public static final class Builder {
        private Path model;
        private String layers;
        private ClusterSettings cluster;
        private int httpPort;
        private int threads;
        private long memoryBytes;
        private Resilience resilience;
        private BackendSettings backend;
        private GatewaySettings gateway;
        private long kvCacheBytes;
        private int batchTokens;
        private int httpPortCount;
        private Duration drainTimeout;
        private int promptCacheEntries;

        private Builder(NodeSettings from) {
            model = from.model;
            layers = from.layers;
            cluster = from.cluster;
            httpPort = from.httpPort;
            threads = from.threads;
            memoryBytes = from.memoryBytes;
            resilience = from.resilience;
            backend = from.backend;
            gateway = from.gateway;
            kvCacheBytes = from.kvCacheBytes;
            batchTokens = from.batchTokens;
            httpPortCount = from.httpPortCount;
            drainTimeout = from.drainTimeout;
            promptCacheEntries = from.promptCacheEntries;
        }

        public Builder httpPort(int value) {
            httpPort = value;
            return this;
        }

        public Builder httpPortCount(int value) {
            httpPortCount = value;
            return this;
        }

        public Builder resilience(Resilience value) {
            resilience = value;
            return this;
        }

        public Builder backend(BackendSettings value) {
            backend = value;
            return this;
        }

        public Builder gateway(GatewaySettings value) {
            gateway = value;
            return this;
        }

        public Builder kvCacheBytes(long value) {
            kvCacheBytes = value;
            return this;
        }

        public NodeSettings build() {
            return new NodeSettings(model, layers, cluster, httpPort, threads, memoryBytes, resilience, backend, gateway,
                    kvCacheBytes, batchTokens, httpPortCount, drainTimeout, promptCacheEntries);
        }
    }

    public boolean autoLayers() {
        return layers == null || layers.equalsIgnoreCase(AUTO);
    }
}
