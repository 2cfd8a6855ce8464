package io.llmswarm.gateway;

import io.llmswarm.client.ClientSettings;
import io.llmswarm.client.InferenceRequest;
import io.llmswarm.client.InferenceResult;
import io.llmswarm.client.SwarmClient;
import io.llmswarm.client.SwarmClientException;
import io.llmswarm.cluster.ClusterTls;
import io.llmswarm.cluster.LoopbackPorts;
import io.llmswarm.cluster.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway over HTTPS ({@code --https-cert}, {@code --https-key}) with a certificate keytool makes
 * for this test, and API keys: the Java SDK, told to trust that certificate, generates and streams;
 * without that trust it refuses the node; the plain-HTTP port of {@code --https-redirect-port}
 * redirects to HTTPS; and the web UI works in headless Chromium over HTTPS, its bridge over
 * {@code wss:}, asking for the key as on plain HTTP.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class HttpsGatewayTest {

    private static final String KEY = "https-test-key-0001";
    private static final ClusterTls PEM = certificate();
    private static final int REDIRECT_PORT = LoopbackPorts.free(1).getFirst();

    @RegisterExtension
    static final GatewaySwarm swarm = GatewaySwarm.ready(
            new GatewaySettings("127.0.0.1", ApiKeys.of(List.of(KEY)), GatewayLimits.defaults())
                    .withTls(new GatewayTls(PEM.cert(), PEM.key(), 0)),
            new GatewaySettings("127.0.0.1", ApiKeys.of(List.of(KEY)), GatewayLimits.defaults())
                    .withTls(new GatewayTls(PEM.cert(), PEM.key(), REDIRECT_PORT)));

    private static ClusterTls certificate() {
        try {
            return TestCertificates.selfSigned(Files.createTempDirectory("https-gateway"));
        } catch (Exception e) {
            throw new IllegalStateException("cannot make the test's certificate: " + e, e);
        }
    }

    private static String url(int node) {
        return "https://127.0.0.1:" + swarm.node(node).httpPort();
    }

    @Test
    void theSdkTrustingTheNodesCertificateGeneratesAndStreamsOverHttps() throws Exception {
        // The JDK client's connect timeout covers the TLS handshake, which a loaded 2-core machine can take long over.
        ClientSettings settings = new ClientSettings(URI.create(url(0)), KEY, Duration.ofSeconds(60), Duration.ofMinutes(2))
                .withTrustedCertificates(PEM.cert());
        InferenceRequest request = InferenceRequest.of("Once upon a time").withMaxTokens(6).withTemperature(0);
        try (SwarmClient client = SwarmClient.create(settings)) {
            InferenceResult whole = client.infer(request);
            assertEquals(6, whole.tokens().length, whole.text());
            List<Integer> streamed = new ArrayList<>();
            InferenceResult end = client.stream(request, token -> streamed.add(token.id())).await();
            assertArrayEquals(whole.tokens(), streamed.stream().mapToInt(Integer::intValue).toArray());
            assertArrayEquals(whole.tokens(), end.tokens());
        }
        try (SwarmClient untrusting = SwarmClient.create(new ClientSettings(URI.create(url(0)), KEY, Duration.ofSeconds(60),
                Duration.ofMinutes(2)))) {
            SwarmClientException e = assertThrows(SwarmClientException.class, () -> untrusting.infer(request));
            assertTrue(e.getMessage().contains(url(0)), "names the node it could not trust: " + e.getMessage());
        }
        swarm.awaitNoSessions();
    }

    @Test
    void thePlainHttpPortRedirectsToHttps() throws Exception {
        HttpClient plain = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        for (String method : List.of("GET", "POST")) {
            HttpResponse<String> answer = plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + REDIRECT_PORT
                    + "/api/swarm?x=1")).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(308, answer.statusCode(), method);
            assertEquals(url(1) + "/api/swarm?x=1", answer.headers().firstValue("Location").orElse(null));
        }
    }

    @Test
    void theWebUiWorksOverHttpsAskingForTheKey() throws Exception {
        NodeScript.assertBrowserThere();
        NodeScript.Run run = NodeScript.run("web-ui-key.test.mjs", Duration.ofSeconds(100), url(1) + "/", KEY, "insecure");
        assertEquals(0, run.exitCode(), "the browser script failed:\n" + run.output());
        Map<String, String> facts = run.facts();
        assertEquals("https:", facts.get("page_protocol"));
        assertTrue(facts.get("bridge_url").startsWith("wss://127.0.0.1:"), facts.get("bridge_url"));
        assertTrue(facts.get("no_key_message").contains("needs an API key (401 Unauthorized)"), run.output());
        assertEquals("length", facts.get("keyed_finish"), run.output());
        assertEquals("length", facts.get("reconnect_finish"), run.output());
        assertEquals("0", facts.get("page_errors"), run.output());
        swarm.awaitNoSessions();
    }
}
