package io.llmswarm.cluster;

import io.llmswarm.cli.NodeSettings;
import io.llmswarm.cli.SwarmNode;
import io.llmswarm.coordinator.SwarmTestModel;
import io.llmswarm.gateway.TestHttp;
import io.llmswarm.inference.GenerationResult;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileInputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two nodes whose event bus runs over mutual TLS, with a self-signed certificate made here by the
 * JDK's keytool, serve a generation together; a member without the certificate cannot deliver a
 * step, even a correctly signed one.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EventBusTlsTest {

    @TempDir
    Path dir;

    @Test
    void twoNodesGenerateOverTlsAndAMemberWithoutTheCertificateCannotDeliverAStep() throws Exception {
        ClusterSecurity security = new ClusterSecurity(SecureSwarms.SECRET, TestCertificates.selfSigned(dir));
        Path file = SwarmTestModel.write(dir, 8);
        TestClusters cluster = new TestClusters(2);
        List<SwarmNode> nodes = new ArrayList<>();
        SwarmCluster outsider = null;
        try (LocalModel local = SwarmTestModel.local(file)) {
            var first = SwarmNode.start(new NodeSettings(file, "0-3", cluster.member(0).withSecurity(security), 0, 1, 1L << 30));
            var second = SwarmNode.start(new NodeSettings(file, "4-7", cluster.member(1).withSecurity(security), 0, 1, 1L << 30));
            nodes.add(first.await(60, TimeUnit.SECONDS));
            nodes.add(second.await(60, TimeUnit.SECONDS));
            SwarmNode a = nodes.get(0);
            TestClusters.awaitTrue(Duration.ofSeconds(30), () -> a.coordinator().status().isReady(), () -> "readiness");

            GenerationResult expected = SwarmTestModel.generate(local, "Once upon a time", 12, SamplingConfig.greedy(), true);
            HttpResponse<String> ok = new TestHttp(a.httpPort()).post("/api/inference", null, new JsonObject()
                    .put("prompt", "Once upon a time").put("raw", true).put("max_tokens", 12).put("temperature", 0)
                    .put("ignore_eos", true).encode());
            assertEquals(200, ok.statusCode(), ok.body());
            assertEquals(local.tokenizer().decode(expected.tokens()).strip(),
                    new JsonObject(ok.body()).getString("result").strip());
            assertEquals(2, new JsonObject(ok.body()).getJsonObject("metadata").getJsonObject("shard_latencies").size());

            // The secret but no certificate: its plain connection to the TLS event bus never carries the step.
            outsider = SecureSwarms.liteMember(cluster, new ClusterSecurity(SecureSwarms.SECRET, null));
            Object answer = SecureSwarms.send(outsider, Addresses.shardExecute(a.nodeId()),
                    SecureSwarms.promptStep(outsider.nodeId(), a.nodeId(), System.currentTimeMillis()), 3000);
            assertTrue(answer instanceof ReplyException, "expected the step to fail; got " + answer);
            assertEquals(0, a.shard().sessionCount());
        } finally {
            if (outsider != null) {
                outsider.close(Duration.ofSeconds(10));
            }
            for (SwarmNode node : nodes) {
                node.close(Duration.ofSeconds(10));
            }
        }
    }
}
