package io.llmswarm.gateway;

/**
 * How many generations a gateway runs at once ({@code --max-concurrent}) and how many of them one
 * client may hold ({@code --max-concurrent-per-client}; a client is its API key, or its address
 * when the node has no keys), counting those started over HTTP and over the event-bus bridge
 * together. Beyond the first the answer is 503, beyond the second 429, both at once and with
 * {@code Retry-After} (on the bridge: a failure with that code and a retry hint).
 */
public record GatewayLimits(int maxConcurrent, int maxConcurrentPerClient) {

    public static final int DEFAULT_MAX_CONCURRENT = 32;
    public static final int DEFAULT_MAX_PER_CLIENT = 16;

    public GatewayLimits {
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("max_concurrent must be at least 1; got " + maxConcurrent);
        }
        if (maxConcurrentPerClient < 1) {
            throw new IllegalArgumentException("max_concurrent_per_client must be at least 1; got "
                    + maxConcurrentPerClient);
        }
    }

    public static GatewayLimits defaults() {
        return new GatewayLimits(DEFAULT_MAX_CONCURRENT, DEFAULT_MAX_PER_CLIENT);
    }
}
