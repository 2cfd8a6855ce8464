package io.llmswarm.cli;

import com.sun.management.OperatingSystemMXBean;
import io.llmswarm.cluster.ClusterSecret;
import io.llmswarm.cluster.ClusterSecurity;
import io.llmswarm.cluster.ClusterSettings;
import io.llmswarm.cluster.ClusterTls;
import io.llmswarm.cluster.HiddenEncoding;
import io.llmswarm.gateway.AllowedOrigins;
import io.llmswarm.gateway.ApiKeys;
import io.llmswarm.gateway.GatewayLimits;
import io.llmswarm.gateway.GatewaySettings;
import io.llmswarm.gateway.GatewayTls;
import io.llmswarm.inference.BundledModel;
import io.llmswarm.shard.ShardService;
import io.vertx.core.json.JsonArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * {@code node -cluster}: joins the swarm and serves a span of a model's layers until stopped.
 * Each setting is declared once, as an option here: {@link NodeConfig} fills an option the command
 * line left out from its {@code LLMSWARM_*} environment variable, else from {@code conf/node.json}
 * (or {@code --config}), so flags override the environment, which overrides the file. Units are
 * parsed by the options' converters ({@link Units}); {@link #settings} turns the options into the
 * {@link NodeSettings} record and checks what spans several of them.
 */
@Command(name = "node", mixinStandardHelpOptions = true, defaultValueProvider = NodeConfig.class,
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

    @Option(names = "--cluster-port", converter = Units.WholeNumber.class,
            description = "Hazelcast port of this member (default 5701).")
    Integer clusterPort;

    @Option(names = "--join", paramLabel = "HOST:PORT,...", description = "Members to contact over TCP/IP, each host:port.")
    String join;

    @Option(names = "--multicast", negatable = true, description = "Find nodes on the LAN by multicast beacons "
            + "(on by default when --cluster-host is not a loopback address and no --join is given).")
    Boolean multicast;

    @Option(names = "--no-discovery", description = "Look for no other node (neither this machine's cluster ports nor "
            + "the LAN); others may still join this one with --join.")
    boolean noDiscovery;

    @Option(names = "--http-port", converter = Units.WholeNumber.class, description = "HTTP port of the gateway (default 8080).")
    Integer httpPort;

    @Option(names = "--threads", converter = Units.WholeNumber.class, description = "Kernel threads (default: all cores).")
    Integer threads;

    @Option(names = "--memory", paramLabel = "SIZE", converter = Units.ByteSize.class,
            description = "Memory for weights and KV caches, e.g. 8g (default: physical memory).")
    Long memory;

    @Option(names = "--step-timeout", paramLabel = "DURATION", converter = Units.DurationConverter.class,
            description = "How long a one-token step may take through the whole route before the request moves to another route (default 60s; longer steps get more).")
    Duration stepTimeout;

    @Option(names = "--session-idle-timeout", paramLabel = "DURATION", converter = Units.DurationConverter.class,
            description = "Idle time after which a session's KV cache on this shard is freed (default 5m).")
    Duration sessionIdleTimeout;

    @Option(names = "--max-failovers", converter = Units.WholeNumber.class, description = "Times one request may move to a new route after shard faults (default 2).")
    Integer maxFailovers;

    @Option(names = "--circuit-open-for", paramLabel = "DURATION", converter = Units.DurationConverter.class,
            description = "How long a node that failed repeatedly is avoided (default 30s).")
    Duration circuitOpenFor;

    @Option(names = "--hidden-dtype", paramLabel = "f32|f16", converter = Units.HiddenDtype.class,
            description = "How this node's requests send hidden states between shards: f32 (default, exact) or f16 "
                    + "(half the bytes; rounds them, so greedy text can differ from a single process).")
    HiddenEncoding hiddenDtype;

    @Option(names = "--backend", paramLabel = "java|llamacpp",
            description = "java (default): serve a span of layers with the Java engine; llamacpp: load the whole model "
                    + "in llama.cpp and serve as a replica.")
    String backend;

    @Option(names = "--ctx-size", paramLabel = "N", converter = Units.WholeNumber.class,
            description = "llamacpp: llama.cpp's context size, split between the parallel slots "
                    + "(default: the model's, capped at 4096, per slot).")
    Integer ctxSize;

    @Option(names = "--parallel", paramLabel = "N", converter = Units.WholeNumber.class,
            description = "llamacpp: sequences decoded at once; the replica's concurrency limit (default 4).")
    Integer parallel;

    @Option(names = "--pipeline-state-ttl", paramLabel = "DURATION", converter = Units.DurationConverter.class,
            description = "How long a request's pipeline state is kept for GET /api/requests/{id} (default 10m).")
    Duration pipelineStateTtl;

    static final String CONFIG_OPTION = "--config";

    @Option(names = CONFIG_OPTION, paramLabel = "FILE", description = "Settings file (default conf/node.json if present).")
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

    @Option(names = "--max-concurrent", paramLabel = "N", converter = Units.WholeNumber.class, description = "Generations this gateway runs at once; beyond: 503 (default 32).")
    Integer maxConcurrent;

    @Option(names = "--max-concurrent-per-client", paramLabel = "N", converter = Units.WholeNumber.class,
            description = "Generations one client (API key or address) runs at once; beyond: 429 (default 16).")
    Integer maxConcurrentPerClient;

    @Option(names = "--kv-cache", paramLabel = "SIZE", converter = Units.ByteSize.class,
            description = "KV-cache budget of this node, e.g. 512m (default: a quarter of --memory, at least 64m).")
    Long kvCache;

    @Option(names = "--allowed-origins", paramLabel = "ORIGIN,...",
            description = "Web origins (scheme://host[:port], or *) besides the node's own whose pages may call it from a "
                    + "browser; others get 403 (or LLMSWARM_ALLOWED_ORIGINS). Default: none.")
    String allowedOrigins;

    @Option(names = "--https-cert", paramLabel = "PEM", description = "Serve HTTPS on --http-port with this certificate chain.")
    Path httpsCert;

    @Option(names = "--https-key", paramLabel = "PEM", description = "Private key of --https-cert.")
    Path httpsKey;

    @Option(names = "--https-redirect-port", paramLabel = "PORT", converter = Units.WholeNumber.class,
            description = "With HTTPS: also listen for plain HTTP on PORT and redirect every request to HTTPS.")
    Integer httpsRedirectPort;

    @Option(names = "--batch-tokens", paramLabel = "N", converter = Units.WholeNumber.class,
            description = "Rows the engine runs in one pass at most: every session's next token, then prompt tokens "
                    + "up to this many; longer prompts go in chunks between other sessions' tokens (default 256).")
    Integer batchTokens;

    @Option(names = "--prompt-cache", paramLabel = "N", converter = Units.WholeNumber.class,
            description = "Finished sessions whose KV cache the node keeps for prompts that start the same way (a "
                    + "conversation's next turn); evicted first when the KV budget needs room; 0 turns it off (default 32).")
    Integer promptCache;

    @Option(names = "--drain-timeout", paramLabel = "DURATION", converter = Units.DurationConverter.class,
            description = "On SIGTERM or Ctrl-C the node stops taking new work and serves what it has for up to this "
                    + "long before it leaves (default 60s); a second signal stops it at once.")
    Duration drainTimeout;

    /**
     * Secrets have no flag, as a command line is visible to every user of the machine: these hidden
     * options only give {@code LLMSWARM_API_KEYS} / {@code "api_keys"} and {@code LLMSWARM_CLUSTER_SECRET} /
     * {@code "cluster_secret"} a place to land, and {@link #settings} refuses them on the command line.
     */
    @Option(names = "--api-keys", hidden = true)
    String apiKeys;

    @Option(names = "--cluster-secret", hidden = true)
    String clusterSecret;

    @Spec
    CommandSpec spec;

    /**
     * The node's settings from these options (each one a flag, or else its environment variable or
     * config-file entry, as {@link NodeConfig} filled it in), with the defaults of what none gave.
     *
     * @throws IllegalArgumentException naming the setting that is wrong, or what is wrong with the config file
     */
    public NodeSettings settings() {
        if (spec.defaultValueProvider() instanceof NodeConfig config) {
            config.check();
        }
        refuseOnCommandLine("--api-keys", "API keys: use --api-keys-file, LLMSWARM_API_KEYS or \"api_keys\" in the config file");
        refuseOnCommandLine("--cluster-secret",
                "the cluster secret: use --cluster-secret-file, LLMSWARM_CLUSTER_SECRET or \"cluster_secret\" in the config file");
        List<String> members = join == null || join.isBlank() ? List.of()
                : Arrays.stream(join.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        String host = clusterHost != null ? clusterHost : "127.0.0.1";
        int port = clusterPort != null ? clusterPort : ClusterSettings.DEFAULT_PORT;
        if (noDiscovery && members.isEmpty()) {
            members = List.of(host + ":" + port); // looks for no one; others may still join it
        }
        ClusterSettings cluster = new ClusterSettings(clusterName != null ? clusterName : ClusterSettings.DEFAULT_NAME,
                host, port, members, ClusterSettings.lanDiscovery(multicast, host, members, noDiscovery), false,
                clusterSecurity(), clusterPort != null ? 1 : ClusterSettings.DEFAULT_PORT_COUNT);
        Path modelFile = model;
        if (modelFile == null && BundledModel.isAvailable()) {
            // As generate and demo do: a first `java -jar node.jar -cluster` serves the demo model.
            modelFile = BundledModel.path();
        }
        if (batchTokens != null && batchTokens < 1) {
            throw new IllegalArgumentException("batch_tokens must be at least 1; got " + batchTokens);
        }
        return new NodeSettings(modelFile, layers != null ? layers : NodeSettings.AUTO, cluster,
                httpPort != null ? httpPort : NodeSettings.DEFAULT_HTTP_PORT,
                threads != null ? threads : Runtime.getRuntime().availableProcessors(),
                memory != null ? memory : physicalMemory(), resilience(),
                new BackendSettings(backend, ctxSize != null ? ctxSize : 0,
                        parallel != null ? parallel : BackendSettings.DEFAULT_PARALLEL),
                gateway(), kvCache != null ? kvCache : 0, batchTokens != null ? batchTokens : 0,
                httpPort != null ? 1 : NodeSettings.DEFAULT_HTTP_PORT_COUNT,
                drainTimeout != null ? drainTimeout : NodeSettings.DEFAULT_DRAIN_TIMEOUT,
                promptCache != null ? promptCache : ShardService.DEFAULT_PROMPT_CACHE_ENTRIES);
    }

    private void refuseOnCommandLine(String option, String instead) {
        if (spec.commandLine() != null && spec.commandLine().getParseResult() != null
                && spec.commandLine().getParseResult().hasMatchedOption(option)) {
            throw new IllegalArgumentException(option + " is not taken on the command line, where every user of the"
                    + " machine can read it; for " + instead);
        }
    }

    private Resilience resilience() {
        Resilience defaults = Resilience.defaults();
        return new Resilience(stepTimeout != null ? stepTimeout : defaults.stepTimeout(),
                sessionIdleTimeout != null ? sessionIdleTimeout : defaults.sessionIdleTimeout(),
                maxFailovers != null ? maxFailovers : defaults.maxFailovers(),
                circuitOpenFor != null ? circuitOpenFor : defaults.circuitOpenFor(),
                pipelineStateTtl != null ? pipelineStateTtl : defaults.pipelineStateTtl(),
                hiddenDtype != null ? hiddenDtype : defaults.hiddenEncoding());
    }

    private GatewaySettings gateway() {
        List<String> keys = new ArrayList<>(list(apiKeys, ApiKeys::split));
        if (apiKeysFile != null) {
            keys.addAll(ApiKeys.readFile(apiKeysFile));
        }
        boolean https = httpsCert != null || httpsKey != null;
        if (!https && httpsRedirectPort != null) {
            throw new IllegalArgumentException("https_redirect_port needs HTTPS: give --https-cert and --https-key too");
        }
        return new GatewaySettings(httpHost != null ? httpHost : GatewaySettings.ALL_INTERFACES, ApiKeys.of(keys),
                new GatewayLimits(maxConcurrent != null ? maxConcurrent : GatewayLimits.DEFAULT_MAX_CONCURRENT,
                        maxConcurrentPerClient != null ? maxConcurrentPerClient : GatewayLimits.DEFAULT_MAX_PER_CLIENT),
                AllowedOrigins.of(list(allowedOrigins, AllowedOrigins::split)),
                https ? new GatewayTls(httpsCert, httpsKey, httpsRedirectPort != null ? httpsRedirectPort : 0) : null);
    }

    /** A list setting: comma separated (a flag, the environment), or a JSON array (the config file). */
    private static List<String> list(String value, Function<String, List<String>> split) {
        if (value == null) {
            return List.of();
        }
        return value.strip().startsWith("[") ? new JsonArray(value).stream().map(String::valueOf).toList()
                : split.apply(value);
    }

    private ClusterSecurity clusterSecurity() {
        ClusterSecret secret = clusterSecretFile != null ? ClusterSecret.readFile(clusterSecretFile)
                : clusterSecret != null ? ClusterSecret.of(clusterSecret) : ClusterSecret.none();
        boolean anyTls = clusterTlsKey != null || clusterTlsCert != null || clusterTlsTrust != null;
        return new ClusterSecurity(secret, anyTls ? new ClusterTls(clusterTlsKey, clusterTlsCert, clusterTlsTrust) : null);
    }

    private static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return Runtime.getRuntime().maxMemory();
    }

    @Override
    public Integer call() throws Exception {
        NodeSettings settings = settings();
        if (model == null && settings.model().getFileName().toString().equals(
                Path.of(BundledModel.RESOURCE).getFileName().toString())) {
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
                node.close(Duration.ofSeconds(20));
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
