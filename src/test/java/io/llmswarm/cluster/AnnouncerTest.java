package io.llmswarm.cluster;

import com.hazelcast.map.IMap;
import com.hazelcast.map.MapInterceptor;
import io.llmswarm.engine.LayerRange;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node's announcement reaches the swarm's map even when a write fails: Hazelcast itself refuses
 * the first write of each announcement (a map interceptor that throws once), and the announcer
 * tries again until the newest one is written, then says so.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class AnnouncerTest {

    /** Writes still to refuse; the interceptor runs in this JVM's Hazelcast member. */
    private static final AtomicInteger REFUSALS_LEFT = new AtomicInteger();
    private static final AtomicInteger REFUSED = new AtomicInteger();

    private static final class RefuseWrites implements MapInterceptor {
        @Override
        public Object interceptGet(Object value) {
            return null;
        }

        @Override
        public void afterGet(Object value) {
        }

        @Override
        public Object interceptPut(Object oldValue, Object newValue) {
            if (REFUSALS_LEFT.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                REFUSED.incrementAndGet();
                throw new IllegalStateException("this test refuses the write");
            }
            return null;
        }

        @Override
        public void afterPut(Object value) {
        }

        @Override
        public Object interceptRemove(Object removedValue) {
            return null;
        }

        @Override
        public void afterRemove(Object value) {
        }
    }

    @Test
    void aWriteThatFailsOnceIsTriedAgainUntilTheNewestAnnouncementIsWritten() throws Exception {
        SwarmCluster cluster = SwarmCluster.join(new TestClusters(1).member(0)).await(60, TimeUnit.SECONDS);
        WorkerExecutor workers = cluster.vertx().createSharedWorkerExecutor("announcer-test", 2);
        try {
            IMap<String, String> map = cluster.hazelcast().getMap(Addresses.ANNOUNCEMENTS_MAP);
            map.addInterceptor(new RefuseWrites());
            String nodeId = cluster.nodeId();
            ShardAnnouncement first = new ShardAnnouncement(nodeId, new ShardAnnouncement.ModelIdentity("f00d", "test", 8),
                    new LayerRange(0, 7), ShardAnnouncement.JAVA_BACKEND, Addresses.shardExecute(nodeId), 0, 0, false);
            Announcer announcer = new Announcer(cluster.vertx(), cluster.announcements(), workers, first);

            REFUSALS_LEFT.set(1);
            announcer.publishReady(4, 0).await(30, TimeUnit.SECONDS);
            assertEquals(1, REFUSED.get(), "the first write was refused");
            JsonObject stored = new JsonObject(map.get(nodeId));
            assertEquals(true, stored.getBoolean("ready"), stored.encode());
            assertEquals(4, stored.getInteger("capacity"), stored.encode());
            assertEquals(first.withLoad(4, 0).withReady(true), announcer.current());
            assertTrue(cluster.announcements().view("f00d", 8).isReady(), "the node's own view sees it ready");

            // Load changes while writes fail: the newest load is what ends up written.
            REFUSALS_LEFT.set(2);
            announcer.refresh(3, 1);
            announcer.refresh(2, 2).await(30, TimeUnit.SECONDS);
            assertEquals(3, REFUSED.get(), "two more writes were refused");
            stored = new JsonObject(map.get(nodeId));
            assertEquals(2, stored.getInteger("capacity"), stored.encode());
            assertEquals(2, stored.getInteger("load"), stored.encode());
            assertEquals(first.withLoad(2, 2).withReady(true), announcer.current());

            announcer.withdraw(() -> { }).await(30, TimeUnit.SECONDS);
            assertEquals(null, map.get(nodeId), "withdrawn");
        } finally {
            workers.close();
            cluster.close(Duration.ofSeconds(10));
        }
    }
}
