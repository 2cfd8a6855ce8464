package io.llmswarm.cli;

import io.llmswarm.cluster.TestClusters;
import io.llmswarm.coordinator.SwarmTestModel;
import io.llmswarm.gateway.TestHttp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two nodes of one cluster with different models: each learns that the cluster serves another
 * model (what the command prints as a warning) and serves its own alone.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class MixedModelsTest {

    @TempDir
    Path dir;

    @Test
    void aNodeWithAnotherModelIsToldSoAndServesAlone() throws Exception {
        Path eight = SwarmTestModel.write(Files.createDirectories(dir.resolve("a")), 8);
        Path four = SwarmTestModel.write(Files.createDirectories(dir.resolve("b")), 4);
        TestClusters cluster = new TestClusters(2);
        // Both at once, as SwarmTestModel.startNodes does: a member that starts alone keeps trying to
        // reach the other's port, and on loopback such an attempt can take that very port.
        var startA = SwarmNode.start(new NodeSettings(eight, NodeSettings.AUTO, cluster.member(0), 0, 1, 1L << 30));
        var startB = SwarmNode.start(new NodeSettings(four, NodeSettings.AUTO, cluster.member(1), 0, 1, 1L << 30));
        SwarmNode a = startA.await(60, TimeUnit.SECONDS);
        try {
            SwarmNode b = startB.await(60, TimeUnit.SECONDS);
            try {
                TestClusters.awaitTrue(Duration.ofSeconds(20), () -> !a.otherModels().isEmpty() && !b.otherModels().isEmpty(),
                        () -> "each to see the other's model: " + a.otherModels() + " / " + b.otherModels());
                assertEquals(1, b.otherModels().size());
                assertTrue(b.otherModels().getFirst().contains("fingerprint"), b.otherModels().toString());
                assertEquals("0-3", b.layers().toString(), "all of its own model's layers");
                assertEquals(200, new TestHttp(b.httpPort()).get("/ready").statusCode());
                assertEquals(200, new TestHttp(a.httpPort()).get("/ready").statusCode());
            } finally {
                b.close(Duration.ofSeconds(10));
            }
        } finally {
            a.close(Duration.ofSeconds(10));
        }
    }
}
