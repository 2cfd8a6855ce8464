package io.llmswarm.coordinator;

import io.llmswarm.cli.BackendSettings;
import io.llmswarm.cli.NodeSettings;
import io.llmswarm.cluster.Route;
import io.llmswarm.inference.FinishReason;
import io.llmswarm.llamacpp.LlamaCppModel;
import io.llmswarm.llamacpp.Sampling;
import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.ReplicaBatch;
import io.llmswarm.cluster.SamplingParams;
import io.llmswarm.cluster.ShardAnnouncement;
import io.llmswarm.cluster.SwarmCluster;
import io.llmswarm.cluster.SwarmView;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.engine.LayerRange;
import io.llmswarm.inference.GenerationResult;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A member announces itself as a llama.cpp replica (so an idle swarm's first choice) but fails:
 * before its first piece the request is retried on the Java pipeline and gives the engine's exact
 * tokens; after pieces were streamed, with no other replica, the request fails (after retries)
 * with a reason naming it; with a real llama.cpp replica in the swarm, that one goes on from the
 * text so far.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ReplicaFailOverTest {

    @TempDir
    Path dir;

    @Test
    void aReplicaThatFailsIsRetriedElsewhereBeforeItsFirstPieceAndNamedAfter() throws Exception {
        Path model = SwarmTestModel.write(dir, 8);
        GenerationResult expected;
        try (LocalModel local = SwarmTestModel.local(model)) {
            expected = SwarmTestModel.generate(local, "Once upon a time", 12, SamplingConfig.greedy(), true);
        }
        TestClusters cluster = new TestClusters(4);
        List<SwarmNode> nodes = new ArrayList<>();
        SwarmCluster broken = SwarmCluster.join(cluster.member(2)).await(60, TimeUnit.SECONDS);
        try {
            nodes.add(SwarmNode.start(new NodeSettings(model, "0-3", cluster.member(0), 0, 1, 1L << 30)).await(60, TimeUnit.SECONDS));
            nodes.add(SwarmNode.start(new NodeSettings(model, "4-7", cluster.member(1), 0, 1, 1L << 30)).await(60, TimeUnit.SECONDS));
            Coordinator coordinator = nodes.getFirst().coordinator();
            AtomicInteger calls = new AtomicInteger();
            AtomicInteger piecesFirst = new AtomicInteger();
            String address = Addresses.replicaGenerate(broken.nodeId());
            broken.vertx().eventBus().<JsonObject>consumer(address, message -> {
                calls.incrementAndGet();
                if (piecesFirst.get() == 0) {
                    message.reply(new ReplicaBatch(List.of(), true, "llama.cpp failed: out of memory").toJson());
                } else {
                    // Two pieces, then the failure with the next batch.
                    message.<JsonObject>replyAndRequest(new ReplicaBatch(List.of(" two", " pieces"), false, null).toJson())
                            .onSuccess(next -> next.reply(new ReplicaBatch(List.of(), true, "llama.cpp failed: aborted")
                                    .toJson()));
                }
            }).completion().await(10, TimeUnit.SECONDS);
            String fingerprint = coordinator.model().fingerprint();
            broken.vertx().executeBlocking(() -> {
                broken.announcements().announce(new ShardAnnouncement(broken.nodeId(),
                        new ShardAnnouncement.ModelIdentity(fingerprint, "broken", 8), new LayerRange(0, 7),
                        ShardAnnouncement.LLAMACPP_BACKEND, address, 2, 0, true));
                return null;
            }).await(10, TimeUnit.SECONDS);
            TestClusters.awaitTrue(Duration.ofSeconds(30), () -> coordinator.status().readyShards().size() == 3,
                    () -> "three ready nodes: " + coordinator.status().toJson());
            GenerateRequest request = GenerateRequest.text("Once upon a time", 12,
                    new SamplingParams(SamplingConfig.greedy(), true, 0));

            GenerationOutcome retried = coordinator.generate(request, TokenListener.none()).outcome().await(60, TimeUnit.SECONDS);
            assertEquals(1, calls.get(), "the replica was tried first");
            assertFalse(retried.route().contains(broken.nodeId()), retried.route());
            assertArrayEquals(expected.tokens(), retried.tokenIds());
            assertTrue(retried.timings().shards().stream().anyMatch(t -> t.nodeId().equals(broken.nodeId())),
                    "the timings show the failed attempt: " + retried.timings());

            piecesFirst.set(1);
            TestClusters.awaitTrue(Duration.ofSeconds(30), () -> !coordinator.health().isAvoided(broken.nodeId())
                    && coordinator.routes().choose(coordinator.status(), true).orElseThrow().isReplica(),
                    () -> "the replica to be the first choice again");
            Exception failed = assertThrows(Exception.class, () -> coordinator.generate(request, TokenListener.none())
                    .outcome().await(60, TimeUnit.SECONDS));
            // (with no other replica it is tried again, as a failed shard is when nothing avoids it)
            assertTrue(failed.getMessage().contains(broken.nodeId()) && failed.getMessage().contains("aborted"),
                    failed.getMessage());

            // A real replica joins: the broken one's two pieces are kept and llama.cpp goes on after them.
            SwarmNode replica = SwarmNode.start(new NodeSettings(model, "auto", cluster.member(3), 0, 1, 1L << 30)
                    .withBackend(new BackendSettings("llamacpp", 0, 1))).await(90, TimeUnit.SECONDS);
            nodes.add(replica);
            TestClusters.awaitTrue(Duration.ofSeconds(30), () -> coordinator.status().readyShards().size() == 4
                    && !coordinator.health().isAvoided(broken.nodeId()), () -> "four ready nodes: " + coordinator.status().toJson());
            Route busy = coordinator.routes().chooseReplica(new SwarmView(coordinator.status().fingerprint(),
                    8, coordinator.status().shards().stream().filter(s -> s.nodeId().equals(replica.nodeId())).toList()))
                    .orElseThrow();
            coordinator.routes().hold(busy); // the real replica looks busier, so the broken one is tried first
            GenerationOutcome continued;
            try {
                continued = coordinator.generate(request, TokenListener.none()).outcome().await(60, TimeUnit.SECONDS);
            } finally {
                coordinator.routes().release(busy);
            }
            String rest = LlamaCppModel.load(model, 1).generate("Once upon a time two pieces", Sampling.greedy(10, true),
                    piece -> { });
            assertTrue(continued.route().startsWith("llamacpp:" + replica.nodeId()), continued.route());
            assertEquals(" two pieces" + rest, continued.text());
            assertEquals(FinishReason.LENGTH, continued.finishReason());
        } finally {
            for (SwarmNode node : nodes) {
                node.close(Duration.ofSeconds(10));
            }
            broken.close(Duration.ofSeconds(10));
        }
    }
}
