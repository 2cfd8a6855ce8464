package io.llmswarm.cluster;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;

/**
 * Registers the swarm's message codecs once per Vert.x instance, as the default codec of each type.
 * What was registered (the secret that signs) lives in that Vert.x's own local shared data, not in
 * a static map: it goes away with the Vert.x, and two instances in one JVM (tests, the demo) never
 * see each other's.
 */
public final class SwarmCodecs {

    private static final String MAP = "llmswarm.codecs";
    private static final String KEY = "registered";

    /** The secret a Vert.x signs with, so that senders and receivers of {@link SignedJson} need not carry it. */
    private record Registered(ClusterSecret secret) implements Shareable {
    }

    private SwarmCodecs() {
    }

    /** Idempotent: a second call for the same Vert.x does nothing. Messages go unsigned. */
    public static void register(Vertx vertx) {
        register(vertx, ClusterSecret.none());
    }

    /**
     * Steps, replies, session releases and {@link SignedJson} messages are signed with {@code secret}
     * and, arriving, checked against it. Idempotent: a second call for the same Vert.x does nothing.
     */
    public static void register(Vertx vertx, ClusterSecret secret) {
        if (registry(vertx).putIfAbsent(KEY, new Registered(secret)) == null) {
            vertx.eventBus()
                    .registerDefaultCodec(ExecuteTask.class, new ExecuteTaskCodec(secret))
                    .registerDefaultCodec(TaskReply.class, new TaskReplyCodec(secret))
                    .registerDefaultCodec(SessionRelease.class, new SessionReleaseCodec(secret))
                    .registerDefaultCodec(SignedJson.class, new SignedJsonCodec(secret));
        }
    }

    /** The secret {@code vertx} registered its codecs with; none when it registered none. */
    public static ClusterSecret secret(Vertx vertx) {
        Registered registered = registry(vertx).get(KEY);
        return registered == null ? ClusterSecret.none() : registered.secret();
    }

    private static LocalMap<String, Registered> registry(Vertx vertx) {
        return vertx.sharedData().getLocalMap(MAP);
    }
}
