package io.llmswarm.cli;

import io.llmswarm.cluster.ClusterSettings;
import io.llmswarm.cluster.SamplingParams;
import io.llmswarm.cluster.SwarmCluster;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.coordinator.Coordinator;
import io.llmswarm.coordinator.FaultCounters;
import io.llmswarm.coordinator.GenerateRequest;
import io.llmswarm.coordinator.GenerationOutcome;
import io.llmswarm.coordinator.SwarmTestModel;
import io.llmswarm.coordinator.TokenListener;
import io.llmswarm.engine.ModelConfig;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;
import io.llmswarm.tokenizer.Tokenizer;
import io.llmswarm.tokenizer.Vocabulary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A rolling restart: four node.jar processes, two holders of layers 0-3 and two of 4-7, and eight
 * clients generating greedy answers the whole time through a coordinator of their own (a lite
 * member in this JVM). Each node in turn is stopped with SIGTERM, exits 0 after its drain, is
 * started again with the same settings and serves again; every request succeeds with the
 * single process's tokens, and none needed a fail-over.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class RollingRestartIT {

    private static final String[] LAYERS = {"0-3", "0-3", "4-7", "4-7"};
    private static final String[] PROMPTS = {"Once upon a time", "The cat", "A little", "In the morning",
            "She said", "The old man", "Far away", "One day"};

    @TempDir
    Path dir;

    @Test
    void everyRequestSucceedsWhileEachNodeRestartsInTurn() throws Exception {
        Path model = SwarmTestModel.write(dir, 8);
        int[][] expected = new int[PROMPTS.length][];
        try (LocalModel local = SwarmTestModel.local(model)) {
            for (int i = 0; i < PROMPTS.length; i++) {
                expected[i] = SwarmTestModel.generate(local, PROMPTS[i], 24, SamplingConfig.greedy(), true).tokens();
            }
        }
        Coordinator.ModelInfo info;
        try (GgufFile file = GgufFile.open(model)) {
            ModelConfig config = ModelConfig.from(file);
            info = new Coordinator.ModelInfo(file.fingerprint(), new Coordinator.ModelInfo.Shape(config.blockCount(),
                    config.contextLength(), config.embeddingLength(), config.vocabularySize()),
                    Tokenizer.of(Vocabulary.fromGguf(file.metadata())));
        }
        TestClusters cluster = new TestClusters(LAYERS.length + 1);
        String join = String.join(",", cluster.memberAddresses().subList(0, LAYERS.length));
        try (NodeProcesses processes = new NodeProcesses(dir)) {
            for (int i = 0; i < LAYERS.length; i++) {
                processes.start(model, cluster.name(), join, new NodeProcesses.Node(LAYERS[i], cluster.member(i).port(), 1, "256m"),
                        new NodeProcesses.Extras(0, List.of(), List.of("--drain-timeout", "60s")));
            }
            processes.awaitStarted(Duration.ofMinutes(2));
            ClusterSettings clientSettings = cluster.member(LAYERS.length).asLiteMember();
            SwarmCluster client = SwarmCluster.join(clientSettings).await(60, TimeUnit.SECONDS);
            try {
                TestClusters.awaitTrue(Duration.ofSeconds(60), () -> readyNodes(client, info) == 4,
                        () -> "four ready nodes" + processes.logs());
                Coordinator coordinator = new Coordinator(client.vertx(), info,
                        new Coordinator.Wiring(client.nodeId(), client.announcements(), null),
                        Coordinator.Settings.defaults().withStepTimeout(Duration.ofSeconds(20)));

                AtomicBoolean running = new AtomicBoolean(true);
                AtomicInteger succeeded = new AtomicInteger();
                ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
                List<Thread> clients = new ArrayList<>();
                for (int c = 0; c < PROMPTS.length; c++) {
                    int which = c;
                    clients.add(Thread.ofPlatform().name("client-" + c).start(() -> {
                        while (running.get()) {
                            try {
                                GenerationOutcome outcome = coordinator.generate(GenerateRequest.text(PROMPTS[which], 24,
                                        new SamplingParams(SamplingConfig.greedy(), true, 0)), TokenListener.none())
                                        .outcome().await(120, TimeUnit.SECONDS);
                                if (Arrays.equals(expected[which], outcome.tokenIds())) {
                                    succeeded.incrementAndGet();
                                } else {
                                    failures.add(PROMPTS[which] + ": other tokens " + Arrays.toString(outcome.tokenIds()));
                                }
                            } catch (Exception e) {
                                failures.add(PROMPTS[which] + ": " + e);
                            }
                        }
                    }));
                }
                for (int i = 0; i < LAYERS.length; i++) {
                    int node = i;
                    int before = succeeded.get();
                    TestClusters.awaitTrue(Duration.ofSeconds(60), () -> succeeded.get() >= before + 8,
                            () -> "requests to go on before the next stop; failures: " + failures);
                    processes.terminate(i);
                    Process stopped = processes.get(i);
                    assertTrue(stopped.waitFor(90, TimeUnit.SECONDS), "node " + i + " exits after its drain" + processes.logs());
                    assertEquals(0, stopped.exitValue(), "node " + i + processes.logs());
                    processes.restart(i);
                    TestClusters.awaitTrue(Duration.ofSeconds(120), () -> readyNodes(client, info) == 4,
                            () -> "node " + node + " to serve again" + processes.logs());
                }
                int before = succeeded.get();
                TestClusters.awaitTrue(Duration.ofSeconds(60), () -> succeeded.get() >= before + 8,
                        () -> "requests after the last restart; failures: " + failures);
                running.set(false);
                for (Thread t : clients) {
                    t.join(150_000);
                }
                assertTrue(failures.isEmpty(), failures.size() + " requests failed: " + failures);
                // Drained, not crashed: no request had to move to another route.
                assertEquals(0, coordinator.faults().failovers(), () -> "fail-overs: " + Arrays.stream(
                        FaultCounters.Kind.values()).map(k -> k + "=" + coordinator.faults().count(k)).toList());
                assertTrue(succeeded.get() >= 40, succeeded.get() + " requests");
            } finally {
                client.close(Duration.ofSeconds(10));
            }
        }
    }

    private static int readyNodes(SwarmCluster client, Coordinator.ModelInfo info) {
        return client.announcements().view(info.fingerprint(), info.shape().blockCount()).readyShards().size();
    }
}
