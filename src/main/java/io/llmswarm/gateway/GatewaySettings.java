package io.llmswarm.gateway;

/**
 * Where the gateway listens ({@code --http-host}; all interfaces by default), its API keys, its
 * limits, the web origins besides its own whose pages may call it ({@code --allowed-origins}), and
 * HTTPS ({@code --https-cert/--https-key}; null for plain HTTP).
 */
public record GatewaySettings(String host, ApiKeys apiKeys, GatewayLimits limits, AllowedOrigins allowedOrigins,
                              GatewayTls tls) {

    public static final String ALL_INTERFACES = "0.0.0.0";

    public GatewaySettings {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("http_host must name an interface, e.g. 127.0.0.1 or 0.0.0.0");
        }
        if (allowedOrigins == null) {
            allowedOrigins = AllowedOrigins.none();
        }
    }

    /** Plain HTTP, no origin but the node's own. */
    public GatewaySettings(String host, ApiKeys apiKeys, GatewayLimits limits) {
        this(host, apiKeys, limits, AllowedOrigins.none(), null);
    }

    public static GatewaySettings defaults() {
        return new GatewaySettings(ALL_INTERFACES, ApiKeys.none(), GatewayLimits.defaults());
    }

    public GatewaySettings withAllowedOrigins(AllowedOrigins value) {
        return new GatewaySettings(host, apiKeys, limits, value, tls);
    }

    public GatewaySettings withTls(GatewayTls value) {
        return new GatewaySettings(host, apiKeys, limits, allowedOrigins, value);
    }

    public boolean https() {
        return tls != null;
    }
}
