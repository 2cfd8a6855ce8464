package io.llmswarm.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code node -cluster}: joins the swarm and serves a span of a model's layers until stopped.
 * Settings come from {@code conf/node.json} (or {@code --config}), then {@code LLMSWARM_*}
 * environment variables, then these flags, each overriding the one before.
 */
@Command(name = "node", mixinStandardHelpOptions = true,
        customSynopsis = "java -jar node.jar -cluster --model FILE [--layers A-B|auto] [OPTIONS]",
        description = "Join a swarm and serve a span of a model's layers (-cluster).")
public final class NodeCommand implements Callable<Integer> {

    @Option(names = "-cluster", description = "Join a swarm (what this command always does; accepted for "
            + "the documents' `node.jar -cluster` form).")
    boolean cluster;

    @Option(names = "--model", paramLabel = "FILE", description = "The GGUF model file.")
    Path model;

    @Option(names = "--layers", paramLabel = "A-B|auto",
            description = "Layers to serve, inclusive (e.g. 0-7); auto (the default) fills the first gap of the swarm.")
    String layers;

    @Option(names = "--cluster-name", description = "Cluster to join (default llm-swarm).")
    String clusterName;

    @Option(names = "--cluster-host", description = "Host this member and its event bus bind (default 127.0.0.1).")
    String clusterHost;

    @Option(names = "--cluster-port", description = "Hazelcast port of this member (default 5701).")
    Integer clusterPort;

    @Option(names = "--join", paramLabel = "HOST:PORT,...", description = "Members to contact over TCP/IP, each host:port.")
    String join;

    @Option(names = "--multicast", negatable = true, description = "Find nodes on the LAN by multicast beacons "
            + "(on by default when --cluster-host is not a loopback address and no --join is given).")
    Boolean multicast;

    @Option(names = "--no-discovery", description = "Look for no other node (neither this machine's cluster ports nor "
            + "the LAN); others may still join this one with --join.")
    Boolean noDiscovery;

    @Option(names = "--http-port", description = "HTTP port of the gateway (default 8080).")
    Integer httpPort;

    @Option(names = "--threads", description = "Kernel threads (default: all cores).")
    Integer threads;

    @Option(names = "--memory", paramLabel = "SIZE", description = "Memory for weights and KV caches, e.g. 8g (default: physical memory).")
    String memory;

    @Option(names = "--step-timeout", paramLabel = "DURATION",
            description = "How long a one-token step may take through the whole route before the request moves to another route (default 60s; longer steps get more).")
    String stepTimeout;

    @Option(names = "--session-idle-timeout", paramLabel = "DURATION",
            description = "Idle time after which a session's KV cache on this shard is freed (default 5m).")
    String sessionIdleTimeout;

    @Option(names = "--max-failovers", description = "Times one request may move to a new route after shard faults (default 2).")
    Integer maxFailovers;

    @Option(names = "--circuit-open-for", paramLabel = "DURATION",
            description = "How long a node that failed repeatedly is avoided (default 30s).")
    String circuitOpenFor;

    @Option(names = "--hidden-dtype", paramLabel = "f32|f16",
            description = "How this node's requests send hidden states between shards: f32 (default, exact) or f16 "
                    + "(half the bytes; rounds them, so greedy text can differ from a single process).")
    String hiddenDtype;

    @Option(names = "--backend", paramLabel = "java|llamacpp",
            description = "java (default): serve a span of layers with the Java engine; llamacpp: load the whole model "
                    + "in llama.cpp and serve as a replica.")
    String backend;

    @Option(names = "--ctx-size", paramLabel = "N",
            description = "llamacpp: llama.cpp's context size, split between the parallel slots "
                    + "(default: the model's, capped at 4096, per slot).")
    Integer ctxSize;

    @Option(names = "--parallel", paramLabel = "N",
            description = "llamacpp: sequences decoded at once; the replica's concurrency limit (default 4).")
    Integer parallel;

    @Option(names = "--pipeline-state-ttl", paramLabel = "DURATION",
            description = "How long a request's pipeline state is kept for GET /api/requests/{id} (default 10m).")
    String pipelineStateTtl;

    @Option(names = "--config", paramLabel = "FILE", description = "Settings file (default conf/node.json if present).")
    Path config;

    @Option(names = "--http-host", description = "Interface the HTTP gateway binds (default 0.0.0.0: all).")
    String httpHost;

    @Option(names = "--api-keys-file", paramLabel = "FILE",
            description = "API keys, one per line: /api, /v1 and /metrics then need 'Authorization: Bearer KEY' "
                    + "(or LLMSWARM_API_KEYS=k1,k2).")
    Path apiKeysFile;

    @Option(names = "--cluster-secret-file", paramLabel = "FILE",
            description = "The swarm's shared secret (first line; or LLMSWARM_CLUSTER_SECRET): signs steps, results, releases, announcements, replica and generate requests.")
    Path clusterSecretFile;

    @Option(names = "--cluster-tls-key", paramLabel = "PEM", description = "Private key of this node for event-bus TLS.")
    Path clusterTlsKey;

    @Option(names = "--cluster-tls-cert", paramLabel = "PEM", description = "Certificate of this node for event-bus TLS.")
    Path clusterTlsCert;

    @Option(names = "--cluster-tls-trust", paramLabel = "PEM", description = "Certificates trusted on the event bus.")
    Path clusterTlsTrust;

    @Option(names = "--max-concurrent", paramLabel = "N", description = "Generations this gateway runs at once; beyond: 503 (default 32).")
    Integer maxConcurrent;

    @Option(names = "--max-concurrent-per-client", paramLabel = "N",
            description = "Generations one client (API key or address) runs at once; beyond: 429 (default 16).")
    Integer maxConcurrentPerClient;

    @Option(names = "--kv-cache", paramLabel = "SIZE",
            description = "KV-cache budget of this node, e.g. 512m (default: a quarter of --memory, at least 64m).")
    String kvCache;

    @Option(names = "--allowed-origins", paramLabel = "ORIGIN,...",
            description = "Web origins (scheme://host[:port], or *) besides the node's own whose pages may call it from a "
                    + "browser; others get 403 (or LLMSWARM_ALLOWED_ORIGINS). Default: none.")
    String allowedOrigins;

    @Option(names = "--https-cert", paramLabel = "PEM", description = "Serve HTTPS on --http-port with this certificate chain.")
    Path httpsCert;

    @Option(names = "--https-key", paramLabel = "PEM", description = "Private key of --https-cert.")
    Path httpsKey;

    @Option(names = "--https-redirect-port", paramLabel = "PORT",
            description = "With HTTPS: also listen for plain HTTP on PORT and redirect every request to HTTPS.")
    Integer httpsRedirectPort;

    @Option(names = "--batch-tokens", paramLabel = "N",
            description = "Rows the engine runs in one pass at most: every session's next token, then prompt tokens "
                    + "up to this many; longer prompts go in chunks between other sessions' tokens (default 256).")
    Integer batchTokens;

    @Option(names = "--prompt-cache", paramLabel = "N",
            description = "Finished sessions whose KV cache the node keeps for prompts that start the same way (a "
                    + "conversation's next turn); evicted first when the KV budget needs room; 0 turns it off (default 32).")
    Integer promptCache;

    @Option(names = "--drain-timeout", paramLabel = "DURATION",
            description = "On SIGTERM or Ctrl-C the node stops taking new work and serves what it has for up to this "
                    + "long before it leaves (default 60s); a second signal stops it at once.")
    String drainTimeout;

    /** The settings these flags give over the config file and the environment. */
    public NodeSettings settings(Map<String, String> env) {
        Map<String, String> flags = new HashMap<>();
        put(flags, "model", model);
        put(flags, "layers", layers);
        put(flags, "cluster_name", clusterName);
        put(flags, "cluster_host", clusterHost);
        put(flags, "cluster_port", clusterPort);
        put(flags, "join", join);
        put(flags, "multicast", multicast);
        put(flags, "no_discovery", noDiscovery);
        put(flags, "http_port", httpPort);
        put(flags, "threads", threads);
        put(flags, "memory", memory);
        put(flags, "http_host", httpHost);
        put(flags, "api_keys_file", apiKeysFile);
        put(flags, "cluster_secret_file", clusterSecretFile);
        put(flags, "cluster_tls_key", clusterTlsKey);
        put(flags, "cluster_tls_cert", clusterTlsCert);
        put(flags, "cluster_tls_trust", clusterTlsTrust);
        put(flags, "max_concurrent", maxConcurrent);
        put(flags, "max_concurrent_per_client", maxConcurrentPerClient);
        put(flags, "kv_cache", kvCache);
        put(flags, "allowed_origins", allowedOrigins);
        put(flags, "https_cert", httpsCert);
        put(flags, "https_key", httpsKey);
        put(flags, "https_redirect_port", httpsRedirectPort);
        put(flags, "batch_tokens", batchTokens);
        put(flags, "drain_timeout", drainTimeout);
        put(flags, "prompt_cache", promptCache);
        put(flags, "step_timeout", stepTimeout);
        put(flags, "session_idle_timeout", sessionIdleTimeout);
        put(flags, "max_failovers", maxFailovers);
        put(flags, "circuit_open_for", circuitOpenFor);
        put(flags, "pipeline_state_ttl", pipelineStateTtl);
        put(flags, "hidden_dtype", hiddenDtype);

        put(flags, "backend", backend);
        put(flags, "ctx_size", ctxSize);
        put(flags, "parallel", parallel);
        return NodeConfig.resolve(config, env, flags);
    }

    private static void put(Map<String, String> flags, String key, Object value) {
        if (value != null) {
            flags.put(key, value.toString());
        }
    }

    @Override
    public Integer call() throws Exception {
        NodeSettings settings = settings(System.getenv());
        if (model == null && settings.model().getFileName().toString().equals(
                java.nio.file.Path.of(io.llmswarm.inference.BundledModel.RESOURCE).getFileName().toString())) {
            System.out.println("no --model given: serving the bundled demo model (" + settings.model() + ")");
        }
        SwarmNode node = SwarmNode.start(settings).await(10, TimeUnit.MINUTES);
        System.out.println("node " + node.nodeId() + " serves layers " + node.layers()
                + (settings.backend().isLlamaCpp() ? " (whole model, llamacpp replica)" : "") + " of "
                + settings.model().getFileName() + " in cluster " + settings.cluster().name() + " at "
                + node.clusterAddress() + ", " + (settings.gateway().https() ? "HTTPS" : "HTTP") + " on "
                + settings.gateway().host() + ":" + node.httpPort());
        List<String> others = node.otherModels();
        if (!others.isEmpty()) {
            System.out.println("WARNING: cluster " + settings.cluster().name() + " serves another model: "
                    + String.join(", ", others) + "; this node's " + settings.model().getFileName()
                    + " differs, so it serves alone (give the same --model, or another --cluster-name)");
        }
        String shown = settings.gateway().host().equals("0.0.0.0") ? "127.0.0.1" : settings.gateway().host();
        System.out.println("open " + (settings.gateway().https() ? "https" : "http") + "://" + shown + ":"
                + node.httpPort() + "/ in a browser");
        System.out.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        // Whatever ends the JVM (the end of a drain, a second signal, System.exit) leaves the swarm on the way out.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close(java.time.Duration.ofSeconds(20));
            } catch (Exception e) {
                System.err.println("error while leaving the swarm: " + e.getMessage());
            }
            stopped.countDown();
        }));
        // A planned stop (SIGTERM, Ctrl-C, POST /admin/drain) drains first; a second signal stops at once.
        node.onStopRequest(PlannedStop.install("stopping: draining for up to " + settings.drainTimeout().toSeconds()
                + " s (signal again to stop at once)", () -> node.drain(settings.drainTimeout())));
        stopped.await();
        return 0;
    }
}
