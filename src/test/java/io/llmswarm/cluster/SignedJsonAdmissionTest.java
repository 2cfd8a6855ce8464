package io.llmswarm.cluster;

import io.llmswarm.cli.BackendSettings;
import io.llmswarm.cli.NodeSettings;
import io.llmswarm.cli.SwarmNode;
import io.llmswarm.coordinator.GenerateRequest;
import io.llmswarm.coordinator.GenerationOutcome;
import io.llmswarm.coordinator.SwarmTestModel;
import io.llmswarm.coordinator.TokenListener;
import io.llmswarm.inference.FinishReason;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A llama.cpp replica and a node holding layers 0-3 (so every route is the replica), both with
 * the cluster secret: the coordinator's signed exchange with the replica completes; a member
 * inside the Hazelcast cluster that sends replica or generate requests unsigned, signed with
 * another secret, or signed long ago, is refused with 401 and no generation starts.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SignedJsonAdmissionTest {

    @TempDir
    static Path dir;

    private static final String PROMPT = "Once upon a time";
    private static final List<SwarmNode> nodes = new ArrayList<>();
    private static SwarmNode replica;
    private static SwarmNode half;
    private static SwarmCluster member;

    @BeforeAll
    static void start() throws Exception {
        Path file = SwarmTestModel.write(dir, 8);
        TestClusters cluster = new TestClusters(2);
        ClusterSecurity security = new ClusterSecurity(SecureSwarms.SECRET, null);
        replica = SwarmNode.start(new NodeSettings(file, "auto", cluster.member(0).withSecurity(security), 0, 1, 1L << 30)
                .withBackend(new BackendSettings("llamacpp", 0, 1))).await(90, TimeUnit.SECONDS);
        nodes.add(replica);
        half = SwarmNode.start(new NodeSettings(file, "0-3", cluster.member(1).withSecurity(security), 0, 1, 1L << 30))
                .await(60, TimeUnit.SECONDS);
        nodes.add(half);
        TestClusters.awaitTrue(Duration.ofSeconds(30), () -> half.coordinator().status().isReady(),
                () -> "the replica ready for the half node: " + half.coordinator().status().toJson());
        // Joined under the swarm's Hazelcast name (as one who overheard it could), without the secret.
        member = SecureSwarms.liteMember(cluster, ClusterSecurity.none());
    }

    @AfterAll
    static void stop() throws Exception {
        if (member != null) {
            member.close(Duration.ofSeconds(10));
        }
        for (SwarmNode node : nodes) {
            node.close(Duration.ofSeconds(10));
        }
    }

    @Test
    void theCoordinatorsSignedExchangeWithTheReplicaCompletes() throws Exception {
        int started = replica.replica().startedCount();
        GenerationOutcome outcome = half.coordinator().generate(GenerateRequest.text(PROMPT, 8,
                new SamplingParams(SamplingConfig.greedy(), true, 0)), TokenListener.none()).outcome()
                .await(60, TimeUnit.SECONDS);
        assertTrue(outcome.route().startsWith("llamacpp:" + replica.nodeId()), outcome.route());
        assertEquals(FinishReason.LENGTH, outcome.finishReason());
        assertFalse(outcome.tokens().isEmpty());
        assertEquals(started + 1, replica.replica().startedCount());
    }

    @Test
    void unsignedWronglySignedAndStaleRequestsAreRefusedAndStartNothing() throws Exception {
        TestClusters.awaitTrue(Duration.ofSeconds(30), () -> replica.replica().load() == 0, () -> "an idle replica");
        int started = replica.replica().startedCount();
        String replicaAddress = Addresses.replicaGenerate(replica.nodeId());
        JsonObject replicaRequest = new ReplicaRequest("by-hand-" + UUID.randomUUID(), PROMPT, 4,
                SamplingConfig.greedy(), true).toJson();
        List<JsonObject> streamed = new CopyOnWriteArrayList<>();
        String streamTo = "by-hand-tokens-" + UUID.randomUUID();
        member.vertx().eventBus().<JsonObject>consumer(streamTo, token -> streamed.add(token.body()))
                .completion().await(10, TimeUnit.SECONDS);
        JsonObject generate = new JsonObject().put("prompt", PROMPT).put("max_tokens", 4).put("stream_to", streamTo);

        // No secret: plain JSON, as a node without one sends.
        assertRefused(replicaAddress, replicaRequest, "no cluster proof");
        assertRefused(Addresses.GENERATE, generate, "no cluster proof");
        assertRefused(Addresses.generateFor(half.coordinator().model().fingerprint()), generate, "no cluster proof");
        assertRefused(Addresses.STATUS, new JsonObject(), "no cluster proof");

        // Another secret.
        useCodec(new SignedJsonCodec(ClusterSecret.of("not the swarm's secret " + UUID.randomUUID())));
        assertRefused(replicaAddress, new SignedJson(SignedJson.REPLICA_REQUEST, replicaRequest), "not valid");
        assertRefused(Addresses.GENERATE, new SignedJson(SignedJson.GENERATE, generate), "not valid");

        // The secret, but a message from five minutes ago (a replay).
        useCodec(new SignedJsonCodec(SecureSwarms.SECRET,
                () -> System.currentTimeMillis() - Duration.ofMinutes(5).toMillis()));
        assertRefused(replicaAddress, new SignedJson(SignedJson.REPLICA_REQUEST, replicaRequest), "window");
        assertRefused(Addresses.GENERATE, new SignedJson(SignedJson.GENERATE, generate), "window");

        // A signed message of another kind is not a request.
        useCodec(new SignedJsonCodec(SecureSwarms.SECRET));
        ReplyException wrongKind = SecureSwarms.refusal(SecureSwarms.send(member, replicaAddress,
                new SignedJson(SignedJson.REPLICA_ANSWER, replicaRequest), 10_000));
        assertEquals(400, wrongKind.failureCode(), wrongKind.getMessage());

        assertEquals(started, replica.replica().startedCount(), "no refused request reached llama.cpp");
        assertEquals(0, replica.replica().load());
        assertEquals(0, half.shard().sessionCount(), "no refused request reached a shard");
        assertTrue(streamed.isEmpty(), "no coordinator streamed tokens: " + streamed);

        // Signed with the secret and fresh, the same requests run.
        Object status = SecureSwarms.send(member, Addresses.STATUS, new SignedJson(SignedJson.STATUS, new JsonObject()), 10_000);
        assertTrue(assertInstanceOf(JsonObject.class, status).containsKey("shards"), String.valueOf(status));
        Object answer = SecureSwarms.send(member, Addresses.GENERATE, new SignedJson(SignedJson.GENERATE,
                generate.copy().put("temperature", 0).put("ignore_eos", true)), 60_000);
        JsonObject response = assertInstanceOf(JsonObject.class, answer, String.valueOf(answer));
        assertTrue(response.getJsonObject("metadata").getString("route").startsWith("llamacpp:"), response.encode());
        assertEquals(started + 1, replica.replica().startedCount());
    }

    private static void useCodec(SignedJsonCodec codec) {
        member.vertx().eventBus().unregisterDefaultCodec(SignedJson.class);
        member.vertx().eventBus().registerDefaultCodec(SignedJson.class, codec);
    }

    private static void assertRefused(String address, Object body, String why) throws Exception {
        ReplyException refusal = SecureSwarms.refusal(SecureSwarms.send(member, address, body, 10_000));
        assertEquals(401, refusal.failureCode(), address + ": " + refusal.getMessage());
        assertTrue(refusal.getMessage().contains(why), address + ": " + refusal.getMessage());
    }
}
