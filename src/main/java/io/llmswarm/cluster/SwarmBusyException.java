package io.llmswarm.cluster;

/**
 * A shard on the route has no room for another session now (its KV-cache budget or its session
 * slots are spent): the request may succeed later, so gateways answer 503 with {@code Retry-After}.
 */
public final class SwarmBusyException extends RuntimeException {

    /** How a shard's error reply marks this case, in front of its message. */
    public static final String REPLY_PREFIX = "overloaded: ";

    public SwarmBusyException(String message) {
        super(message);
    }
}
