package io.llmswarm.gateway;

/** Where the gateway listens ({@code --http-host}; all interfaces by default), its API keys, its limits. */
public record GatewaySettings(String host, ApiKeys apiKeys, GatewayLimits limits) {

    public static final String ALL_INTERFACES = "0.0.0.0";

    public GatewaySettings {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("http_host must name an interface, e.g. 127.0.0.1 or 0.0.0.0");
        }
    }

    public static GatewaySettings defaults() {
        return new GatewaySettings(ALL_INTERFACES, ApiKeys.none(), GatewayLimits.defaults());
    }
}
