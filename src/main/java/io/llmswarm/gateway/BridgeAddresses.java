package io.llmswarm.gateway;

import java.util.regex.Pattern;

/**
 * The only event-bus addresses the SockJS bridge at {@code /eventbus} lets clients use. Everything
 * else, the swarm's internal addresses ({@code llm.shard.*}, {@code llm.coordinator.*}) included,
 * is refused by the bridge's permits.
 */
public final class BridgeAddresses {

    /** Inbound: a generation request {@code {"stream_id", "prompt" | "messages", "max_tokens", ...}}. */
    public static final String INFERENCE = "swarm.public.inference";

    /** Outbound: {@code swarm.public.tokens.<stream_id>}, one stream's tokens, then its end. */
    public static final String TOKENS_PREFIX = "swarm.public.tokens.";

    /** Outbound: swarm changes (nodes joined or left, readiness, missing layers) as this node sees them, fail-overs and circuit breakers opening or closing. */
    public static final String EVENTS = "swarm.public.events";

    /** A stream id is chosen by the client: random, long enough that no other client can guess it. */
    static final Pattern STREAM_ID = Pattern.compile("[A-Za-z0-9_-]{16,64}");

    private BridgeAddresses() {
    }

    public static String tokens(String streamId) {
        return TOKENS_PREFIX + streamId;
    }

    /** The stream id of a token address, or null when {@code address} is not a valid one. */
    static String streamIdOf(String address) {
        if (address == null || !address.startsWith(TOKENS_PREFIX)) {
            return null;
        }
        String id = address.substring(TOKENS_PREFIX.length());
        return STREAM_ID.matcher(id).matches() ? id : null;
    }
}
