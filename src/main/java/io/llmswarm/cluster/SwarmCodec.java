package io.llmswarm.cluster;

import io.vertx.core.eventbus.MessageCodec;

/**
 * What the swarm's signed codecs share: their name on the wire, no system codec id, the secret
 * that signs and checks, and local delivery of the same object (it never leaves the JVM).
 */
abstract class SwarmCodec<T> implements MessageCodec<T, T> {

    final ClusterSecret secret;
    private final String name;

    SwarmCodec(String name, ClusterSecret secret) {
        this.name = name;
        this.secret = secret;
    }

    @Override
    public T transform(T message) {
        return message;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final byte systemCodecID() {
        return -1;
    }
}
