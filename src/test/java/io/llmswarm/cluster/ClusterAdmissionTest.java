package io.llmswarm.cluster;

import io.llmswarm.cli.NodeSettings;
import io.llmswarm.cli.SwarmNode;
import io.llmswarm.coordinator.SwarmTestModel;
import io.llmswarm.engine.LayerRange;
import io.llmswarm.gateway.TestHttp;
import io.llmswarm.inference.GenerationResult;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two nodes with the cluster secret (layers 0-3 and 4-7) serve together; a member without the
 * secret that got in under the swarm's Hazelcast name (as one who overheard it could) is ignored
 * when it announces a whole model and refused when it sends a step; a signed step that is too old
 * is refused as a replay; a node with another secret forms a cluster of its own.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterAdmissionTest {

    @TempDir
    static Path dir;

    private static final List<SwarmNode> nodes = new ArrayList<>();
    private static final List<SwarmCluster> others = new ArrayList<>();
    private static TestClusters cluster;
    private static LocalModel local;

    @BeforeAll
    static void start() throws Exception {
        Path file = SwarmTestModel.write(dir, 8);
        local = SwarmTestModel.local(file);
        cluster = new TestClusters(2);
        ClusterSecurity security = new ClusterSecurity(SecureSwarms.SECRET, null);
        var first = SwarmNode.start(new NodeSettings(file, "0-3", cluster.member(0).withSecurity(security), 0, 1, 1L << 30));
        var second = SwarmNode.start(new NodeSettings(file, "4-7", cluster.member(1).withSecurity(security), 0, 1, 1L << 30));
        nodes.add(first.await(60, TimeUnit.SECONDS));
        nodes.add(second.await(60, TimeUnit.SECONDS));
    }

    @AfterAll
    static void stop() throws Exception {
        for (SwarmCluster other : others) {
            other.close(Duration.ofSeconds(10));
        }
        for (SwarmNode node : nodes) {
            node.close(Duration.ofSeconds(10));
        }
        if (local != null) {
            local.close();
        }
    }

    @Test
    void aMemberWithoutTheSecretIsIgnoredAndRefusedAndTheSwarmServesOn() throws Exception {
        SwarmNode a = nodes.get(0);
        SwarmNode b = nodes.get(1);
        TestClusters.awaitTrue(Duration.ofSeconds(30), () -> a.coordinator().status().isReady(), () -> "readiness");
        String fingerprint = a.coordinator().model().fingerprint();

        SwarmCluster rogue = SecureSwarms.liteMember(cluster, ClusterSecurity.none());
        others.add(rogue);
        assertTrue(a.cluster().hazelcast().getCluster().getMembers().size() >= 3, "the rogue is in the Hazelcast cluster");
        ShardAnnouncement claim = new ShardAnnouncement(rogue.nodeId(), new ShardAnnouncement.ModelIdentity(fingerprint,
                "swarm-test", 8), new LayerRange(0, 7), "java", Addresses.shardExecute(rogue.nodeId()), 16, 0, true);
        rogue.vertx().executeBlocking(() -> {
            rogue.announcements().announce(claim);
            return null;
        }).await(10, TimeUnit.SECONDS);
        TestClusters.awaitTrue(Duration.ofSeconds(10), () -> a.cluster().hazelcast()
                .getMap(Addresses.ANNOUNCEMENTS_MAP).containsKey(rogue.nodeId()), () -> "the rogue's entry in the map");
        a.cluster().vertx().executeBlocking(() -> {
            a.cluster().announcements().resync();
            return null;
        }).await(10, TimeUnit.SECONDS);
        assertEquals(SecureSwarms.ids(a.coordinator().status()).size(), 2, a.coordinator().status().toJson().encode());
        assertFalse(SecureSwarms.ids(b.coordinator().status()).contains(rogue.nodeId()));

        ReplyException unsigned = SecureSwarms.refusal(SecureSwarms.send(rogue, Addresses.shardExecute(a.nodeId()),
                SecureSwarms.promptStep(rogue.nodeId(), a.nodeId(), System.currentTimeMillis()), 10_000));
        assertEquals(401, unsigned.failureCode());
        assertTrue(unsigned.getMessage().contains("no cluster proof"), unsigned.getMessage());

        SwarmCluster insider = SecureSwarms.liteMember(cluster, new ClusterSecurity(SecureSwarms.SECRET, null));
        others.add(insider);
        long old = System.currentTimeMillis() - Duration.ofMinutes(5).toMillis();
        ReplyException replay = SecureSwarms.refusal(SecureSwarms.send(insider, Addresses.shardExecute(a.nodeId()),
                SecureSwarms.promptStep(insider.nodeId(), a.nodeId(), old), 10_000));
        assertEquals(401, replay.failureCode());
        assertTrue(replay.getMessage().contains("window"), replay.getMessage());
        ExecuteTask step = SecureSwarms.promptStep(insider.nodeId(), a.nodeId(), System.currentTimeMillis());
        Object fresh = SecureSwarms.send(insider, Addresses.shardExecute(a.nodeId()), step, 10_000);
        assertTrue(assertInstanceOf(TaskReply.class, fresh).isOk(), String.valueOf(fresh));
        // An unsigned release is refused too; the signed one frees the session.
        var refusedProofs = a.cluster().metrics().counter("llmswarm.shard.messages.rejected", "reason", "proof");
        double refusedBefore = refusedProofs.count();
        rogue.vertx().eventBus().send(Addresses.shardRelease(a.nodeId()), new SessionRelease(step.params().sessionId(), "x"));
        TestClusters.awaitTrue(Duration.ofSeconds(10), () -> refusedProofs.count() > refusedBefore,
                () -> "the unsigned release to be refused");
        assertEquals(1, a.shard().sessionCount(), "the refused release freed nothing");
        insider.vertx().eventBus().send(Addresses.shardRelease(a.nodeId()), new SessionRelease(step.params().sessionId(), "done"));
        TestClusters.awaitTrue(Duration.ofSeconds(10), () -> a.shard().sessionCount() == 0, () -> "the session released");
        assertTrue(a.cluster().metrics().counter("llmswarm.shard.messages.rejected", "reason", "proof").count() >= 3);

        GenerationResult expected = SwarmTestModel.generate(local, "Once upon a time", 8, SamplingConfig.greedy(), true);
        HttpResponse<String> ok = new TestHttp(b.httpPort()).post("/api/inference", null, new JsonObject()
                .put("prompt", "Once upon a time").put("raw", true).put("max_tokens", 8).put("temperature", 0)
                .put("ignore_eos", true).encode());
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals(local.tokenizer().decode(expected.tokens()).strip(),
                new JsonObject(ok.body()).getString("result").strip());
        assertFalse(new JsonObject(ok.body()).getJsonObject("metadata").getString("route").contains(rogue.nodeId()));
    }

    @Test
    void aNodeWithAnotherSecretFormsAClusterOfItsOwn() throws Exception {
        int port = TestClusters.freePorts(1).getFirst();
        List<String> members = new ArrayList<>(cluster.memberAddresses());
        members.add("127.0.0.1:" + port);
        SwarmCluster stranger = SwarmCluster.join(new ClusterSettings(cluster.name(), "127.0.0.1", port, members, false,
                false, new ClusterSecurity(ClusterSecret.of("not the swarm's secret " + UUID.randomUUID()), null)))
                .await(60, TimeUnit.SECONDS);
        others.add(stranger);
        assertEquals(1, stranger.hazelcast().getCluster().getMembers().size());
        assertTrue(stranger.announcements().all().isEmpty());
        assertFalse(nodes.get(0).cluster().hazelcast().getCluster().getMembers().stream()
                .anyMatch(m -> m.getUuid().toString().equals(stranger.nodeId())));
    }
}
