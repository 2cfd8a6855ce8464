package io.llmswarm.cluster;

import io.vertx.core.eventbus.MessageCodec;

/**
 * What the swarm's signed codecs share: their name on the wire, no system codec id, and the secret
 * that signs and checks. Local delivery ({@link #transform}) hands the receiver its own copy of
 * whatever in the message is mutable (token ids, hidden states, JSON), so a sender that reuses an
 * array after sending cannot change what a consumer on the same node reads; each codec says what
 * that is.
 */
abstract class SwarmCodec<T> implements MessageCodec<T, T> {

    final ClusterSecret secret;
    private final String name;

    SwarmCodec(String name, ClusterSecret secret) {
        this.name = name;
        this.secret = secret;
    }

    /** The message as a local consumer gets it: a copy of its mutable parts, the immutable ones shared. */
    @Override
    public abstract T transform(T message);

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final byte systemCodecID() {
        return -1;
    }
}
