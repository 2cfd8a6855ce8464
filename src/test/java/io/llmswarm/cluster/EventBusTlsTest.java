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

    private static final String PASSWORD = "changeit";

    @TempDir
    Path dir;

    /** A self-signed certificate for 127.0.0.1 and localhost, as PEM key and certificate files. */
    static ClusterTls selfSigned(Path dir) throws Exception {
        Path store = dir.resolve("node.p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        assertTrue(Files.isExecutable(keytool), "this test needs the JDK's keytool at " + keytool);
        Process process = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "node", "-keyalg", "RSA",
                "-keysize", "2048", "-dname", "CN=llm-swarm-test", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", PASSWORD,
                "-keypass", PASSWORD).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0, "keytool failed: " + output);
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(store.toFile())) {
            keyStore.load(in, PASSWORD.toCharArray());
        }
        PrivateKey key = (PrivateKey) keyStore.getKey("node", PASSWORD.toCharArray());
        Path keyPem = dir.resolve("node-key.pem");
        Path certPem = dir.resolve("node-cert.pem");
        Files.writeString(keyPem, pem("PRIVATE KEY", key.getEncoded()));
        Files.writeString(certPem, pem("CERTIFICATE", keyStore.getCertificate("node").getEncoded()));
        return new ClusterTls(keyPem, certPem, certPem);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    @Test
    void twoNodesGenerateOverTlsAndAMemberWithoutTheCertificateCannotDeliverAStep() throws Exception {
        ClusterSecurity security = new ClusterSecurity(SecureSwarms.SECRET, selfSigned(dir));
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
                    .put("prompt", "Once upon a time").put("max_tokens", 12).put("temperature", 0)
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
