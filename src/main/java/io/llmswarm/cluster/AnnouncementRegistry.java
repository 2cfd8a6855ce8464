package io.llmswarm.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.MapEvent;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryEvictedListener;
import com.hazelcast.map.listener.EntryExpiredListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.map.listener.MapClearedListener;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The shard announcements of the swarm, in a Hazelcast map keyed by node id (JSON values, so no
 * class has to be shared), mirrored locally through an entry listener so that reading the swarm
 * never blocks (and resynchronised now and then). When a member leaves or dies every other member
 * removes its entry, so no stale announcement survives a lost member.
 * A node's own announcement is written and withdrawn with Hazelcast's asynchronous operations,
 * bridged to Vert.x futures ({@link #announce(ShardAnnouncement, Context)}); only {@link #claim},
 * which holds a cluster-wide lock, and {@link #open} block: call those off the event loop.
 */
public final class AnnouncementRegistry implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(AnnouncementRegistry.class.getName());

    private final HazelcastInstance hazelcast;
    private final ClusterSecret secret;
    private final IMap<String, String> map;
    private final ConcurrentMap<String, ShardAnnouncement> mirror = new ConcurrentHashMap<>();
    private final List<Runnable> changeListeners = new CopyOnWriteArrayList<>();
    private final Set<String> removedWhileLoading = ConcurrentHashMap.newKeySet();
    private final Set<String> rejectedLogged = ConcurrentHashMap.newKeySet();
    private volatile boolean loading = true;
    private static final byte[] ANNOUNCEMENT = "shard-announcement".getBytes(StandardCharsets.UTF_8);
    private UUID entryListener;
    private UUID membershipListener;

    private AnnouncementRegistry(HazelcastInstance hazelcast, ClusterSecret secret) {
        this.hazelcast = hazelcast;
        this.secret = secret;
        this.map = hazelcast.getMap(Addresses.ANNOUNCEMENTS_MAP);
    }

    /** Opens the map, starts listening and loads what is there. Blocks. */
    public static AnnouncementRegistry open(HazelcastInstance hazelcast) {
        return open(hazelcast, ClusterSecret.none());
    }

    /**
     * With a secret, announcements are published signed, and those without a valid signature (a
     * member without the secret) are ignored, so no route ever leads to such a member. Blocks.
     */
    public static AnnouncementRegistry open(HazelcastInstance hazelcast, ClusterSecret secret) {
        AnnouncementRegistry registry = new AnnouncementRegistry(hazelcast, secret);
        registry.start();
        return registry;
    }

    private void start() {
        entryListener = map.addEntryListener(new MirrorListener(), true);
        membershipListener = hazelcast.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent event) {
            }

            @Override
            public void memberRemoved(MembershipEvent event) {
                guarded("a member leaving", () -> {
                    String nodeId = event.getMember().getUuid().toString();
                    if (loading) {
                        removedWhileLoading.add(nodeId);
                    }
                    mirror.remove(nodeId);
                    if (hazelcast.getLifecycleService().isRunning()) {
                        map.removeAsync(nodeId).exceptionally(e -> {
                            LOG.log(System.Logger.Level.WARNING, "removing the announcement of node " + nodeId
                                    + ", which left, failed (every other member removes it too): " + e);
                            return null;
                        });
                    }
                    changed();
                });
            }
        });
        // Events that arrive while the map is read are newer than what the read may return: they win.
        map.forEach((key, value) -> {
            ShardAnnouncement announcement = decode(key, value);
            if (!removedWhileLoading.contains(key) && announcement != null) {
                mirror.putIfAbsent(key, announcement);
            }
        });
        loading = false;
        removedWhileLoading.clear();
    }

    /**
     * Makes the local mirror equal to the map, in case an event was missed; {@link SwarmCluster}
     * calls it every few seconds. Blocks.
     */
    public void resync() {
        Map<String, String> current = Map.copyOf(map);
        for (String key : Set.copyOf(mirror.keySet())) {
            if (!current.containsKey(key)) {
                mirror.remove(key);
            }
        }
        current.forEach((key, value) -> {
            ShardAnnouncement announcement = decode(key, value);
            if (announcement == null) {
                mirror.remove(key);
            } else {
                mirror.put(key, announcement);
            }
        });
    }

    /**
     * Removes announcements of node ids that are not members of the cluster, for an operator who
     * suspects a stale entry (every member already removes a lost member's entry). Not run on its
     * own: a member that has just joined may not yet be in this member's list. Blocks.
     */
    public void sweep() {
        Set<String> members = hazelcast.getCluster().getMembers().stream()
                .map(Member::getUuid).map(UUID::toString).collect(Collectors.toSet());
        for (String nodeId : Set.copyOf(map.keySet())) {
            if (!members.contains(nodeId)) {
                map.delete(nodeId);
                mirror.remove(nodeId);
            }
        }
    }

    /**
     * Publishes (or replaces) a node's announcement without blocking: the future completes on
     * {@code context} once the map holds it (and this member's mirror shows it), or fails when the
     * write fails, which then changes nothing.
     */
    public Future<Void> announce(ShardAnnouncement announcement, Context context) {
        return Future.fromCompletionStage(map.setAsync(announcement.nodeId(), encode(announcement)), context)
                .map(ignored -> {
                    mirrored(announcement);
                    return null;
                });
    }

    /**
     * Publishes (or replaces) a node's announcement; throws when the write fails, and then changes
     * nothing. Blocks: for {@link #claim}, which holds a lock around it, and for callers on a worker.
     */
    public void announce(ShardAnnouncement announcement) {
        map.set(announcement.nodeId(), encode(announcement));
        mirrored(announcement);
    }

    private void mirrored(ShardAnnouncement announcement) {
        mirror.put(announcement.nodeId(), announcement);
        changed();
    }

    /**
     * Chooses and publishes an announcement while holding a cluster-wide lock per model, so that
     * nodes starting together with {@code --layers auto} see each other's choices. Blocks.
     */
    public ShardAnnouncement claim(String fingerprint, int blockCount,
                                   Function<SwarmView, ShardAnnouncement> choose) {
        String lock = "claim:" + fingerprint;
        map.lock(lock);
        try {
            // Read the map itself, not the mirror: another node's claim may not have reached the mirror yet.
            List<ShardAnnouncement> current = map.entrySet().stream()
                    .map(entry -> decode(entry.getKey(), entry.getValue())).filter(Objects::nonNull).toList();
            ShardAnnouncement chosen = choose.apply(SwarmView.of(fingerprint, blockCount, current));
            announce(chosen);
            return chosen;
        } finally {
            map.unlock(lock);
        }
    }

    /** The map's value for an announcement: its JSON, with a {@code proof} when there is a secret. */
    private String encode(ShardAnnouncement announcement) {
        JsonObject json = announcement.toJson();
        if (secret.enabled()) {
            json.put("proof", Base64.getEncoder().encodeToString(
                    secret.mac(ANNOUNCEMENT, json.encode().getBytes(StandardCharsets.UTF_8))));
        }
        return json.encode();
    }

    /**
     * The announcement in a map value, or null when it cannot be trusted: unreadable, filed under
     * another node's key, or (with a secret) unsigned or badly signed. Each distinct rejection is
     * logged once.
     */
    private ShardAnnouncement decode(String key, String value) {
        ShardAnnouncement announcement;
        try {
            announcement = ShardAnnouncement.fromJson(new JsonObject(value));
        } catch (RuntimeException e) {
            return rejected(key, "unreadable announcement: " + e.getMessage());
        }
        if (!key.equals(announcement.nodeId())) {
            return rejected(key, "announcement of node " + announcement.nodeId() + " filed under another key");
        }
        if (secret.enabled()) {
            Object proof = new JsonObject(value).getValue("proof");
            byte[] mac;
            try {
                mac = proof instanceof String text ? Base64.getDecoder().decode(text) : null;
            } catch (IllegalArgumentException e) {
                mac = null;
            }
            if (!secret.verify(mac, ANNOUNCEMENT,
                    announcement.toJson().encode().getBytes(StandardCharsets.UTF_8))) {
                return rejected(key, proof == null ? "announcement without a cluster proof (a member without the "
                        + "cluster secret)" : "announcement with a wrong cluster proof (another cluster secret)");
            }
        }
        return announcement;
    }

    private ShardAnnouncement rejected(String key, String why) {
        if (rejectedLogged.add(key + why)) {
            System.err.println("WARNING: ignoring node " + key + ": " + why);
        }
        return null;
    }

    /** Removes a node's announcement without blocking; the future completes on {@code context} once the map no longer holds it. */
    public Future<Void> withdraw(String nodeId, Context context) {
        mirror.remove(nodeId);
        changed();
        return Future.fromCompletionStage(map.removeAsync(nodeId), context).mapEmpty();
    }

    /** Removes a node's announcement. Blocks. */
    public void withdraw(String nodeId) {
        mirror.remove(nodeId);
        map.delete(nodeId);
        changed();
    }

    /** Every announcement this member knows of, from the local mirror. */
    public Collection<ShardAnnouncement> all() {
        return List.copyOf(mirror.values());
    }

    /** The swarm as it stands for one model. */
    public SwarmView view(String fingerprint, int blockCount) {
        return SwarmView.of(fingerprint, blockCount, mirror.values());
    }

    /**
     * Runs {@code listener} (on a Hazelcast thread) whenever an announcement appears, changes or
     * goes, until {@link #removeOnChange} with the same object; what it throws is logged.
     */
    public void onChange(Runnable listener) {
        changeListeners.add(listener);
    }

    /** Stops running {@code listener} on changes. */
    public void removeOnChange(Runnable listener) {
        changeListeners.remove(listener);
    }

    /** Runs every change listener, each guarded: one that throws neither stops the others nor reaches Hazelcast. */
    private void changed() {
        changeListeners.forEach(listener -> guarded("a swarm change listener", listener));
    }

    /**
     * Runs a callback of a Hazelcast listener (on Hazelcast's event thread): what it throws is
     * logged here, since Hazelcast would only log it at its own level, or not at all, and a
     * thrown event must not leave the mirror half-updated unnoticed.
     */
    private static void guarded(String what, Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "handling " + what + " failed: " + e, e);
        }
    }

    @Override
    public void close() {
        if (hazelcast.getLifecycleService().isRunning()) {
            if (entryListener != null) {
                map.removeEntryListener(entryListener);
            }
            if (membershipListener != null) {
                hazelcast.getCluster().removeMembershipListener(membershipListener);
            }
        }
        changeListeners.clear();
    }

    private final class MirrorListener implements EntryAddedListener<String, String>,
            EntryUpdatedListener<String, String>, EntryRemovedListener<String, String>,
            EntryEvictedListener<String, String>, EntryExpiredListener<String, String>, MapClearedListener {

        @Override
        public void entryAdded(EntryEvent<String, String> event) {
            guarded("an announcement added", () -> put(event));
        }

        @Override
        public void entryUpdated(EntryEvent<String, String> event) {
            guarded("an announcement updated", () -> put(event));
        }

        @Override
        public void entryRemoved(EntryEvent<String, String> event) {
            guarded("an announcement removed", () -> remove(event.getKey()));
        }

        @Override
        public void entryEvicted(EntryEvent<String, String> event) {
            guarded("an announcement evicted", () -> remove(event.getKey()));
        }

        @Override
        public void entryExpired(EntryEvent<String, String> event) {
            guarded("an announcement expired", () -> remove(event.getKey()));
        }

        @Override
        public void mapCleared(MapEvent event) {
            guarded("the announcements cleared", () -> {
                mirror.clear();
                changed();
            });
        }

        private void put(EntryEvent<String, String> event) {
            ShardAnnouncement announcement = decode(event.getKey(), event.getValue());
            if (announcement == null) {
                mirror.remove(event.getKey());
            } else {
                mirror.put(event.getKey(), announcement);
            }
            changed();
        }

        private void remove(String key) {
            if (loading) {
                removedWhileLoading.add(key);
            }
            mirror.remove(key);
            changed();
        }
    }
}
