package io.llmswarm.cluster;

import io.vertx.core.Vertx;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/** Registers the swarm's message codecs once per Vert.x instance, as the default codec of each type. */
public final class SwarmCodecs {

    /** The secret each Vert.x signs with, so that senders and receivers of {@link SignedJson} need not carry it. */
    private static final Map<Vertx, ClusterSecret> REGISTERED = Collections.synchronizedMap(new WeakHashMap<>());

    private SwarmCodecs() {
    }

    /** Idempotent: a second call for the same Vert.x does nothing. Messages go unsigned. */
    public static void register(Vertx vertx) {
        register(vertx, ClusterSecret.none());
    }

    /**
     * Steps, replies, session releases and {@link SignedJson} messages are signed with {@code secret}
     * and, arriving, checked against it.
     */
    public static void register(Vertx vertx, ClusterSecret secret) {
        if (REGISTERED.putIfAbsent(vertx, secret) == null) {
            vertx.eventBus()
                    .registerDefaultCodec(ExecuteTask.class, new ExecuteTaskCodec(secret))
                    .registerDefaultCodec(TaskReply.class, new TaskReplyCodec(secret))
                    .registerDefaultCodec(SessionRelease.class, new SessionReleaseCodec(secret))
                    .registerDefaultCodec(SignedJson.class, new SignedJsonCodec(secret));
        }
    }

    /** The secret {@code vertx} registered its codecs with; none when it registered none. */
    public static ClusterSecret secret(Vertx vertx) {
        return REGISTERED.getOrDefault(vertx, ClusterSecret.none());
    }
}
