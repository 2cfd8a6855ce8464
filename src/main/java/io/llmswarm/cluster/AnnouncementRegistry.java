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
import io.vertx.core.json.JsonObject;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.stream.Collectors;

/**
 * The shard announcements of the swarm, in a Hazelcast map keyed by node id (JSON values, so no
 * class has to be shared), mirrored locally through an entry listener so that reading the swarm
 * never blocks (and resynchronised now and then). When a member leaves or dies every other member
 * removes its entry, so no stale announcement survives a lost member.
 * Writes block on Hazelcast: call them off the event loop.
 */
public final class AnnouncementRegistry implements AutoCloseable {

    private final HazelcastInstance hazelcast;
    private final IMap<String, String> map;
    private final ConcurrentMap<String, ShardAnnouncement> mirror = new ConcurrentHashMap<>();
    private final List<Runnable> changeListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Set<String> removedWhileLoading = ConcurrentHashMap.newKeySet();
    private volatile boolean loading = true;
    private UUID entryListener;
    private UUID membershipListener;

    private AnnouncementRegistry(HazelcastInstance hazelcast) {
        this.hazelcast = hazelcast;
        this.map = hazelcast.getMap(Addresses.ANNOUNCEMENTS_MAP);
    }

    /** Opens the map, starts listening and loads what is there. Blocks. */
    public static AnnouncementRegistry open(HazelcastInstance hazelcast) {
        AnnouncementRegistry registry = new AnnouncementRegistry(hazelcast);
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
                String nodeId = event.getMember().getUuid().toString();
                if (loading) {
                    removedWhileLoading.add(nodeId);
                }
                mirror.remove(nodeId);
                if (hazelcast.getLifecycleService().isRunning()) {
                    map.removeAsync(nodeId);
                }
                changed();
            }
        });
        // Events that arrive while the map is read are newer than what the read may return: they win.
        map.forEach((key, value) -> {
            if (!removedWhileLoading.contains(key)) {
                mirror.putIfAbsent(key, ShardAnnouncement.fromJson(new JsonObject(value)));
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
        current.forEach((key, value) -> mirror.put(key, ShardAnnouncement.fromJson(new JsonObject(value))));
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

    /** Publishes (or replaces) a node's announcement. Blocks. */
    public void announce(ShardAnnouncement announcement) {
        mirror.put(announcement.nodeId(), announcement);
        map.set(announcement.nodeId(), announcement.toJson().encode());
        changed();
    }

    /**
     * Chooses and publishes an announcement while holding a cluster-wide lock per model, so that
     * nodes starting together with {@code --layers auto} see each other's choices. Blocks.
     */
    public ShardAnnouncement claim(String fingerprint, int blockCount,
                                   java.util.function.Function<SwarmView, ShardAnnouncement> choose) {
        String lock = "claim:" + fingerprint;
        map.lock(lock);
        try {
            // Read the map itself, not the mirror: another node's claim may not have reached the mirror yet.
            List<ShardAnnouncement> current = map.values().stream()
                    .map(value -> ShardAnnouncement.fromJson(new JsonObject(value))).toList();
            ShardAnnouncement chosen = choose.apply(SwarmView.of(fingerprint, blockCount, current));
            announce(chosen);
            return chosen;
        } finally {
            map.unlock(lock);
        }
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

    /** Runs {@code listener} (on a Hazelcast thread) whenever an announcement appears, changes or goes. */
    public void onChange(Runnable listener) {
        changeListeners.add(listener);
    }

    private void changed() {
        changeListeners.forEach(Runnable::run);
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
            put(event);
        }

        @Override
        public void entryUpdated(EntryEvent<String, String> event) {
            put(event);
        }

        @Override
        public void entryRemoved(EntryEvent<String, String> event) {
            remove(event.getKey());
        }

        @Override
        public void entryEvicted(EntryEvent<String, String> event) {
            remove(event.getKey());
        }

        @Override
        public void entryExpired(EntryEvent<String, String> event) {
            remove(event.getKey());
        }

        @Override
        public void mapCleared(MapEvent event) {
            mirror.clear();
            changed();
        }

        private void put(EntryEvent<String, String> event) {
            mirror.put(event.getKey(), ShardAnnouncement.fromJson(new JsonObject(event.getValue())));
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
