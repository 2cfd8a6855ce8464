package io.llmswarm.cli;

import io.llmswarm.cluster.ClusterSecret;
import io.llmswarm.cluster.ClusterSecurity;
import io.llmswarm.cluster.ClusterSettings;
import io.llmswarm.cluster.ClusterTls;
import io.llmswarm.gateway.AllowedOrigins;
import io.llmswarm.gateway.ApiKeys;
import io.llmswarm.gateway.GatewayLimits;
import io.llmswarm.gateway.GatewaySettings;
import io.llmswarm.gateway.GatewayTls;
import io.llmswarm.inference.BundledModel;
import io.llmswarm.shard.ShardService;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Merges a node's settings from, in rising precedence: defaults, a JSON file ({@code conf/node.json}
 * unless another is named), environment variables ({@code LLMSWARM_MODEL}, {@code LLMSWARM_LAYERS},
 * {@code LLMSWARM_CLUSTER_NAME}, ...: the key upper-cased with the prefix), and command-line flags.
 * Keys: model, layers, cluster_name, cluster_host, cluster_port, join, multicast, http_port,
 * threads, memory, step_timeout, session_idle_timeout, max_failovers, circuit_open_for,
 * pipeline_state_ttl, hidden_dtype, backend,
 * ctx_size, parallel, and for security and limits http_host, api_keys (comma separated, or a JSON
 * array in the file), api_keys_file, cluster_secret, cluster_secret_file, cluster_tls_key,
 * cluster_tls_cert, cluster_tls_trust, max_concurrent, max_concurrent_per_client, kv_cache, batch_tokens, prompt_cache,
 * drain_timeout, allowed_origins (comma separated, or a JSON array in the file), https_cert, https_key,
 * https_redirect_port.
 */
public final class NodeConfig {

    public static final Path DEFAULT_FILE = Path.of("conf", "node.json");
    static final List<String> KEYS = List.of("model", "layers", "cluster_name", "cluster_host", "cluster_port",
            "join", "multicast", "http_port", "threads", "memory", "step_timeout", "session_idle_timeout",
            "max_failovers", "circuit_open_for", "pipeline_state_ttl", "hidden_dtype", "backend", "ctx_size", "parallel", "http_host", "api_keys",
            "api_keys_file", "cluster_secret", "cluster_secret_file", "cluster_tls_key", "cluster_tls_cert",
            "cluster_tls_trust", "max_concurrent", "max_concurrent_per_client", "kv_cache", "batch_tokens", "drain_timeout", "prompt_cache", "no_discovery",
            "allowed_origins", "https_cert", "https_key", "https_redirect_port");

    private final Map<String, String> values = new HashMap<>();

    private NodeConfig() {
    }

    /**
     * @param file  the config file, or null for {@code conf/node.json} if it exists
     * @param env   the environment (System.getenv() in production)
     * @param flags the flags given on the command line, by key; absent flags are not in the map
     */
    public static NodeSettings resolve(Path file, Map<String, String> env, Map<String, String> flags) {
        NodeConfig config = new NodeConfig();
        Path source = file != null ? file : DEFAULT_FILE;
        if (file != null || Files.exists(source)) {
            config.readFile(source);
        }
        for (String key : KEYS) {
            String value = env.get("LLMSWARM_" + key.toUpperCase(Locale.ROOT));
            if (value != null && !value.isBlank()) {
                config.values.put(key, value);
            }
        }
        flags.forEach((key, value) -> {
            if (value != null) {
                config.values.put(key, value);
            }
        });
        return config.settings();
    }

    private void readFile(Path path) {
        JsonObject json;
        try {
            json = new JsonObject(Files.readString(path));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read node settings " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(path + " is not a JSON object of node settings: " + e.getMessage(), e);
        }
        for (String key : json.fieldNames()) {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException(path + ": unknown setting '" + key + "'; known: " + KEYS);
            }
            values.put(key, String.valueOf(json.getValue(key)));
        }
    }

    private NodeSettings settings() {
        String host = values.getOrDefault("cluster_host", "127.0.0.1");
        String join = values.getOrDefault("join", "");
        List<String> members = join.isBlank() ? List.of()
                : Arrays.stream(join.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        int port = integer("cluster_port", ClusterSettings.DEFAULT_PORT);
        boolean noDiscovery = Boolean.parseBoolean(values.getOrDefault("no_discovery", "false"));
        if (noDiscovery && members.isEmpty()) {
            members = List.of(host + ":" + port); // looks for no one; others may still join it
        }
        ClusterSettings cluster = new ClusterSettings(values.getOrDefault("cluster_name", ClusterSettings.DEFAULT_NAME),
                host, port, members, ClusterSettings.lanDiscovery(values.containsKey("multicast")
                        ? Boolean.parseBoolean(values.get("multicast")) : null, host, members, noDiscovery), false,
                clusterSecurity(), values.containsKey("cluster_port") ? 1 : ClusterSettings.DEFAULT_PORT_COUNT);
        String model = values.get("model");
        if (model == null && BundledModel.isAvailable()) {
            // As generate and demo do: a first `java -jar node.jar -cluster` serves the demo model.
            model = BundledModel.path().toString();
        }
        return new NodeSettings(model == null ? null : Path.of(model), values.getOrDefault("layers", NodeSettings.AUTO),
                cluster, integer("http_port", NodeSettings.DEFAULT_HTTP_PORT),
                integer("threads", Runtime.getRuntime().availableProcessors()),
                values.containsKey("memory") ? parseBytes(values.get("memory")) : physicalMemory(), resilience(),
                new BackendSettings(values.get("backend"), integer("ctx_size", 0), integer("parallel", BackendSettings.DEFAULT_PARALLEL)),
                gateway(), values.containsKey("kv_cache") ? parseBytes(values.get("kv_cache")) : 0,
                batchTokens(), values.containsKey("http_port") ? 1 : NodeSettings.DEFAULT_HTTP_PORT_COUNT,
                duration("drain_timeout", NodeSettings.DEFAULT_DRAIN_TIMEOUT),
                integer("prompt_cache", ShardService.DEFAULT_PROMPT_CACHE_ENTRIES));
    }

    private GatewaySettings gateway() {
        List<String> keys = new ArrayList<>();
        String listed = values.get("api_keys");
        if (listed != null) {
            keys.addAll(listed.strip().startsWith("[")
                    ? new JsonArray(listed).stream().map(String::valueOf).toList() : ApiKeys.split(listed));
        }
        if (values.containsKey("api_keys_file")) {
            keys.addAll(ApiKeys.readFile(Path.of(values.get("api_keys_file"))));
        }
        List<String> origins = new ArrayList<>();
        String listedOrigins = values.get("allowed_origins");
        if (listedOrigins != null) {
            origins.addAll(listedOrigins.strip().startsWith("[")
                    ? new JsonArray(listedOrigins).stream().map(String::valueOf).toList() : AllowedOrigins.split(listedOrigins));
        }
        boolean https = values.containsKey("https_cert") || values.containsKey("https_key");
        if (!https && values.containsKey("https_redirect_port")) {
            throw new IllegalArgumentException("https_redirect_port needs HTTPS: give --https-cert and --https-key too");
        }
        return new GatewaySettings(values.getOrDefault("http_host", GatewaySettings.ALL_INTERFACES), ApiKeys.of(keys),
                new GatewayLimits(integer("max_concurrent", GatewayLimits.DEFAULT_MAX_CONCURRENT),
                        integer("max_concurrent_per_client", GatewayLimits.DEFAULT_MAX_PER_CLIENT)),
                AllowedOrigins.of(origins),
                https ? new GatewayTls(path("https_cert"), path("https_key"), integer("https_redirect_port", 0)) : null);
    }

    private ClusterSecurity clusterSecurity() {
        ClusterSecret secret = values.containsKey("cluster_secret_file")
                ? ClusterSecret.readFile(Path.of(values.get("cluster_secret_file")))
                : values.containsKey("cluster_secret") ? ClusterSecret.of(values.get("cluster_secret"))
                : ClusterSecret.none();
        boolean anyTls = values.containsKey("cluster_tls_key") || values.containsKey("cluster_tls_cert")
                || values.containsKey("cluster_tls_trust");
        ClusterTls tls = anyTls ? new ClusterTls(path("cluster_tls_key"), path("cluster_tls_cert"),
                path("cluster_tls_trust")) : null;
        return new ClusterSecurity(secret, tls);
    }

    private Path path(String key) {
        String value = values.get(key);
        return value == null ? null : Path.of(value);
    }

    private Resilience resilience() {
        Resilience defaults = Resilience.defaults();
        return new Resilience(duration("step_timeout", defaults.stepTimeout()),
                duration("session_idle_timeout", defaults.sessionIdleTimeout()),
                integer("max_failovers", defaults.maxFailovers()), duration("circuit_open_for", defaults.circuitOpenFor()),
                duration("pipeline_state_ttl", defaults.pipelineStateTtl()),
                values.containsKey("hidden_dtype") ? Resilience.parseHiddenEncoding("hidden_dtype", values.get("hidden_dtype"))
                        : defaults.hiddenEncoding());
    }

    private java.time.Duration duration(String key, java.time.Duration fallback) {
        String value = values.get(key);
        return value == null ? fallback : Resilience.parseDuration(key, value);
    }

    /** batch_tokens: 0 when not set (the engine's default). */
    private int batchTokens() {
        int n = integer("batch_tokens", 0);
        if (values.containsKey("batch_tokens") && n < 1) {
            throw new IllegalArgumentException("batch_tokens must be at least 1; got " + n);
        }
        return n;
    }

    private int integer(String key, int fallback) {
        String value = values.get(key);
        if (value == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number; got '" + value + "'");
        }
    }

    /** Parses sizes such as {@code 512m}, {@code 8g}, {@code 1073741824}. */
    public static long parseBytes(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT).replace("ib", "").replace("b", "");
        long unit = 1;
        if (!t.isEmpty() && "kmgt".indexOf(t.charAt(t.length() - 1)) >= 0) {
            unit = 1L << (10 * ("kmgt".indexOf(t.charAt(t.length() - 1)) + 1));
            t = t.substring(0, t.length() - 1);
        }
        try {
            return Math.round(Double.parseDouble(t) * unit);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("memory looks like 512m, 8g or a number of bytes; got '" + text + "'");
        }
    }

    private static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return Runtime.getRuntime().maxMemory();
    }
}
