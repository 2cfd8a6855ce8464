package io.llmswarm.cli;

import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.ClusterSettings;
import io.llmswarm.cluster.SamplingJson;
import io.llmswarm.cluster.SwarmCluster;
import io.llmswarm.cluster.SwarmView;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.coordinator.CoordinatorVerticle;
import io.llmswarm.coordinator.SwarmTestModel;
import io.llmswarm.engine.LayerRange;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.inference.GenerationResult;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Four node processes, each its own JVM joined over Hazelcast TCP/IP on loopback, serve layers
 * 0-7, 8-15, 16-23 and 24-31 of a 32-layer model; this JVM joins as a lite member, waits for
 * readiness, and asks a node's coordinator for a generation over the event bus. The tokens must be
 * exactly the single-process engine's, and so must those of ten concurrent requests with different
 * prompts and sampling settings. Then one process is killed: its announcement goes, and a
 * new request is refused naming its layers.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class FourProcessSwarmIT {

    @TempDir
    Path dir;

    private static final String[] LAYERS = {"0-7", "8-15", "16-23", "24-31"};
    private static final Duration WAIT = Duration.ofSeconds(90);

    @Test
    void fourProcessesGiveTheSingleProcessTokensAndAKilledOneIsNamed() throws Exception {
                Path model = SwarmTestModel.write(dir, 32);
        String fingerprint;
        try (GgufFile file = GgufFile.open(model)) {
            fingerprint = file.fingerprint();
        }
        GenerationResult expected;
        List<JsonObject> concurrent = new ArrayList<>();
        List<int[]> concurrentExpected = new ArrayList<>();
        try (LocalModel local = SwarmTestModel.local(model)) {
            expected = SwarmTestModel.generate(local, "Once upon a time", 24, SamplingConfig.greedy(), true);
            for (int i = 0; i < 10; i++) {
                SamplingConfig sampling = i % 3 == 0 ? SamplingConfig.greedy()
                        : SamplingConfig.defaults(500 + i).withTemperature(0.6f + 0.1f * i);
                String prompt = "Story " + i + " begins";
                concurrentExpected.add(SwarmTestModel.generate(local, prompt, 6 + i, sampling, true).tokens());
                concurrent.add(SamplingJson.toJson(sampling).put("prompt", prompt)
                        .put("max_tokens", 6 + i).put("ignore_eos", true));
            }
        }

        TestClusters cluster = new TestClusters(LAYERS.length + 1);
        String join = String.join(",", cluster.memberAddresses().subList(0, LAYERS.length));
        try (NodeProcesses processes = new NodeProcesses(dir)) {
            for (int i = 0; i < LAYERS.length; i++) {
                processes.start(model, cluster.name(), join,
                        new NodeProcesses.Node(LAYERS[i], cluster.member(i).port(), 1, "256m"));
            }
            ClusterSettings clientSettings = cluster.member(LAYERS.length).asLiteMember();
            processes.awaitStarted(Duration.ofMinutes(2));
            SwarmCluster client = SwarmCluster.join(clientSettings).await(60, TimeUnit.SECONDS);
            try {
                SwarmCluster observer = client;
                TestClusters.awaitTrue(WAIT, () -> observer.announcements().view(fingerprint, 32).isReady(),
                        () -> "the four processes to be ready: " + observer.announcements().view(fingerprint, 32).toJson()
                                + processes.logs());

                JsonObject reply = client.vertx().eventBus().<JsonObject>request(Addresses.GENERATE,
                        new JsonObject().put("prompt", "Once upon a time").put("max_tokens", 24).put("temperature", 0)
                                .put("ignore_eos", true),
                        new DeliveryOptions().setSendTimeout(60_000)).await(60, TimeUnit.SECONDS).body();
                int[] tokens = reply.getJsonArray("tokens").stream().mapToInt(t -> ((Number) t).intValue()).toArray();
                assertArrayEquals(expected.tokens(), tokens, reply.encode());
                assertEquals(4, reply.getJsonObject("metadata").getJsonObject("shard_latencies").size(), reply.encode());

                List<Future<Message<JsonObject>>> replies = new ArrayList<>();
                for (JsonObject request : concurrent) {
                    replies.add(client.vertx().eventBus().request(Addresses.GENERATE, request,
                            new DeliveryOptions().setSendTimeout(60_000)));
                }
                for (int i = 0; i < replies.size(); i++) {
                    JsonObject body = replies.get(i).await(60, TimeUnit.SECONDS).body();
                    int[] ids = body.getJsonArray("tokens").stream().mapToInt(t -> ((Number) t).intValue()).toArray();
                    assertArrayEquals(concurrentExpected.get(i), ids, "concurrent request " + i + ": " + body.encode());
                }

                processes.kill(2);
                TestClusters.awaitTrue(WAIT, () -> !observer.announcements().view(fingerprint, 32).isReady(),
                        () -> "readiness to turn false after the kill: "
                                + observer.announcements().view(fingerprint, 32).toJson());
                SwarmView view = observer.announcements().view(fingerprint, 32);
                assertEquals(List.of(new LayerRange(16, 23)), view.missingLayers());
                assertEquals(3, view.shards().size());

                // Right after a kill the dead node's coordinator may still be listed on the bus for a
                // moment (Vert.x drops its subscriptions when Hazelcast reports the member gone), so a
                // request can land there and time out; the swarm's own answer must be 503.
                ReplyException cause = null;
                for (int attempt = 0; attempt < 5 && (cause == null || cause.failureCode() != CoordinatorVerticle.NOT_READY); attempt++) {
                    ExecutionException refused = assertThrows(ExecutionException.class, () -> observer.vertx().eventBus()
                            .request(Addresses.GENERATE, new JsonObject().put("prompt", "Hi").put("max_tokens", 4),
                                    new DeliveryOptions().setSendTimeout(10_000))
                            .toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS));
                    cause = assertInstanceOf(ReplyException.class, refused.getCause());
                }
                assertEquals(CoordinatorVerticle.NOT_READY, cause.failureCode(), cause.getMessage());
                assertTrue(cause.getMessage().contains("layers 16-23"), cause.getMessage());
            } finally {
                // leave before the processes are killed, so no member is left alone with no data
                client.close(Duration.ofSeconds(10));
            }
        }
    }
}
