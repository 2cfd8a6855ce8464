package io.llmswarm.cluster;

import io.vertx.core.Vertx;

import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;

/** Registers the swarm's message codecs once per Vert.x instance, as the default codec of each type. */
public final class SwarmCodecs {

    private static final Set<Vertx> REGISTERED = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

    private SwarmCodecs() {
    }

    /** Idempotent: a second call for the same Vert.x does nothing. Messages go unsigned. */
    public static void register(Vertx vertx) {
        register(vertx, ClusterSecret.none());
    }

    /** Steps, replies and session releases are signed with {@code secret} and, arriving, checked against it. */
    public static void register(Vertx vertx, ClusterSecret secret) {
        if (REGISTERED.add(vertx)) {
            vertx.eventBus()
                    .registerDefaultCodec(ExecuteTask.class, new ExecuteTaskCodec(secret))
                    .registerDefaultCodec(TaskReply.class, new TaskReplyCodec(secret))
                    .registerDefaultCodec(SessionRelease.class, new SessionReleaseCodec(secret));
        }
    }
}
