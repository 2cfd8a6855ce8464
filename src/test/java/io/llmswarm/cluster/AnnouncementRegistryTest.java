package io.llmswarm.cluster;

import io.llmswarm.engine.LayerRange;
import io.vertx.core.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Three clustered Vert.x instances on loopback in this JVM share announcements through Hazelcast. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AnnouncementRegistryTest {

    private static final ShardAnnouncement.ModelIdentity MODEL = new ShardAnnouncement.ModelIdentity("abc123", "m", 32);
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final List<SwarmCluster> members = new ArrayList<>();

    @AfterEach
    void leave() {
        for (SwarmCluster member : members) {
            try {
                if (member.hazelcast().getLifecycleService().isRunning()) {
                    member.close(Duration.ofSeconds(10));
                }
            } catch (Exception ignored) {
                // already gone
            }
        }
    }

    private List<SwarmCluster> start(int n) throws Exception {
        TestClusters cluster = new TestClusters(n);
        List<Future<SwarmCluster>> joins = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            joins.add(SwarmCluster.join(cluster.member(i)));
        }
        for (var join : joins) {
            members.add(join.await(30, TimeUnit.SECONDS));
        }
        return members;
    }

    private static ShardAnnouncement announcement(SwarmCluster member, String layers) {
        return new ShardAnnouncement(member.nodeId(), MODEL, LayerRange.parse(layers), "java",
                Addresses.shardExecute(member.nodeId()), 4, 0, true);
    }

    @Test
    void everyMemberSeesAnnouncementsAndALeavingMemberTakesItsOwnWithIt() throws Exception {
        List<SwarmCluster> m = start(3);
        m.get(0).announcements().announce(announcement(m.get(0), "0-15"));
        m.get(1).announcements().announce(announcement(m.get(1), "16-31"));
        AnnouncementRegistry observer = m.get(2).announcements();
        TestClusters.awaitTrue(WAIT, () -> observer.view(MODEL.fingerprint(), 32).isReady(),
                () -> "readiness on the third member: " + observer.all());
        assertEquals(2, observer.all().size());

        // Leaves without withdrawing: the membership listener must remove the entry.
        String leaving = m.get(1).nodeId();
        m.get(1).close(Duration.ofSeconds(20));
        TestClusters.awaitTrue(WAIT, () -> !observer.view(MODEL.fingerprint(), 32).isReady(),
                () -> "readiness to turn false: " + observer.all());
        SwarmView view = observer.view(MODEL.fingerprint(), 32);
        assertEquals(List.of(new LayerRange(16, 31)), view.missingLayers());
        assertTrue(view.notReadyReason().contains("16-31"), view.notReadyReason());
        TestClusters.awaitTrue(WAIT, () -> !m.get(2).hazelcast().getMap(Addresses.ANNOUNCEMENTS_MAP).containsKey(leaving),
                () -> "the map entry of the member that left to go");
    }

    @Test
    void aChangeListenerThatThrowsStopsNeitherTheOthersNorTheMirror() throws Exception {
        List<SwarmCluster> m = start(2);
        AnnouncementRegistry observer = m.get(1).announcements();
        AtomicInteger thrown = new AtomicInteger();
        AtomicInteger seen = new AtomicInteger();
        observer.onChange(() -> {
            thrown.incrementAndGet();
            throw new IllegalStateException("a listener with a bug");
        });
        Runnable counting = seen::incrementAndGet;
        observer.onChange(counting);
        m.get(0).announcements().announce(announcement(m.get(0), "0-15"));
        TestClusters.awaitTrue(WAIT, () -> seen.get() > 0 && observer.all().size() == 1,
                () -> "the second listener and the mirror to see the announcement: " + observer.all());
        assertTrue(thrown.get() > 0, "the first listener ran, and threw");
        // After the throw, Hazelcast still delivers events to this member's listener.
        m.get(0).announcements().announce(announcement(m.get(0), "0-15").withLoad(3, 1));
        TestClusters.awaitTrue(WAIT, () -> observer.all().iterator().next().load() == 1, () -> "the update: " + observer.all());
        // The mirror is updated before the listeners run: wait until the counting one saw the update too.
        TestClusters.awaitTrue(WAIT, () -> seen.get() >= 2, () -> "the listener to see the update: " + seen.get());
        observer.removeOnChange(counting);
        int before = seen.get();
        m.get(0).announcements().withdraw(m.get(0).nodeId());
        TestClusters.awaitTrue(WAIT, () -> observer.all().isEmpty(), () -> "the withdrawal: " + observer.all());
        assertEquals(before, seen.get(), "a removed listener runs no more");
    }

    @Test
    void aCrashedMembersAnnouncementIsRemovedByTheSurvivors() throws Exception {
        List<SwarmCluster> m = start(3);
        m.get(0).announcements().announce(announcement(m.get(0), "0-31"));
        m.get(1).announcements().announce(announcement(m.get(1), "0-31"));
        AnnouncementRegistry observer = m.get(2).announcements();
        TestClusters.awaitTrue(WAIT, () -> observer.all().size() == 2, () -> "two announcements: " + observer.all());

        String crashed = m.get(0).nodeId();
        m.get(0).hazelcast().getLifecycleService().terminate();
        TestClusters.awaitTrue(WAIT, () -> observer.all().size() == 1
                        && !m.get(2).hazelcast().getMap(Addresses.ANNOUNCEMENTS_MAP).containsKey(crashed),
                () -> "the crashed member's announcement to go: " + observer.all());
        assertTrue(observer.view(MODEL.fingerprint(), 32).isReady(), "the replica still serves every layer");
        m.get(0).vertx().close();
    }

    @Test
    void withdrawRemovesAndAnnounceReplaces() throws Exception {
        List<SwarmCluster> m = start(2);
        AnnouncementRegistry first = m.get(0).announcements();
        AnnouncementRegistry second = m.get(1).announcements();
        first.announce(announcement(m.get(0), "0-31").withReady(false));
        TestClusters.awaitTrue(WAIT, () -> second.all().size() == 1, () -> "the announcement to arrive");
        assertFalse(second.view(MODEL.fingerprint(), 32).isReady());
        first.announce(announcement(m.get(0), "0-31").withLoad(3, 2));
        TestClusters.awaitTrue(WAIT, () -> second.view(MODEL.fingerprint(), 32).isReady(), () -> "the update");
        assertEquals(2, second.all().iterator().next().load());
        first.withdraw(m.get(0).nodeId());
        TestClusters.awaitTrue(WAIT, () -> second.all().isEmpty(), () -> "the withdrawal");
    }
}
