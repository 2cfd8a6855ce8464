package io.llmswarm.gateway;

import io.llmswarm.cluster.TestClusters;
import io.llmswarm.coordinator.PipelineStateStore;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.llmswarm.gateway.GatewaySwarm.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web chat UI in a real browser: two in-JVM nodes serve the demo model (layers 0-3 and 4-7),
 * and {@code src/test/js/web-ui.test.mjs} drives headless Chromium through Playwright against the
 * second node's page: the swarm panel, a streamed answer, a stopped generation (which must have
 * been cancelled in the swarm too), and the first node leaving, shown live as missing layers.
 * Leaves screenshots at {@code target/web-ui*.png}.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebUiBrowserTest {

    private static final Path SCREENSHOT = Path.of("target/web-ui.png");
    private static final Duration SCRIPT_LIMIT = Duration.ofSeconds(90);

    @RegisterExtension
    static final GatewaySwarm swarm = GatewaySwarm.readyWithDemoModel();

    @BeforeAll
    static void theBrowserAndItsDriverAreThere() {
        NodeScript.assertBrowserThere();
    }

    @Test
    @Order(1)
    void everyNodeServesThePageWhichTheBuildPutsOnTheClassPath() throws Exception {
        for (String file : List.of("index.html", "app.js", "style.css")) {
            assertTrue(WebUiBrowserTest.class.getResource("/webroot/" + file) != null, "webroot/" + file + " on the class path");
        }
        for (int node = 0; node < swarm.nodes().size(); node++) {
            for (String path : List.of("/", "/app.js", "/style.css")) {
                HttpResponse<String> page = swarm.http(node).get(path);
                assertEquals(200, page.statusCode(), path);
                assertEquals(Files.readString(Path.of("webroot", path.equals("/") ? "index.html" : path.substring(1))),
                        page.body(), path + " is the file in webroot/");
            }
        }
    }

    @Test
    @Order(2)
    void aBrowserStreamsAnAnswerShowsTheSwarmStopsAGenerationAndSeesANodeLeave() throws Exception {
        Files.createDirectories(SCREENSHOT.getParent());
        Files.deleteIfExists(SCREENSHOT);
        String url = "http://127.0.0.1:" + swarm.node(1).httpPort() + "/";
        NodeScript.Run run = NodeScript.run("web-ui.test.mjs", SCRIPT_LIMIT, "FACT awaiting_leave=true",
                this::stopWasCancelledThenFirstNodeLeaves, url, SCREENSHOT.toString());
        assertEquals(0, run.exitCode(), "the browser script failed:\n" + run.output());
        Map<String, String> facts = run.facts();

        assertEquals("LLM Swarm", facts.get("title"));
        assertEquals("2", facts.get("nodes"), run.output());
        assertEquals("00001111,11110000", facts.get("layer_bars"), "each node's bar covers its layers");
        assertEquals("ready", facts.get("swarm_status"));
        assertTrue(Integer.parseInt(facts.get("answer_updates")) > 1, "tokens arrive one by one: " + run.output());
        assertEquals(facts.get("answer_tokens"), facts.get("answer_updates"), "one update per token");
        assertTrue(facts.get("answer").contains("computer"), "a sensible answer: " + facts.get("answer"));
        assertEquals("stop", facts.get("answer_finish"), "the answer ended at the end-of-text token");
        assertEquals("2", facts.get("shard_rows"), "per-shard timings of both hops");

        assertEquals("stopped", facts.get("stop_finish"));
        assertEquals(facts.get("stop_tokens"), facts.get("stop_tokens_later"), "no token after Stop");
        assertEquals("true", facts.get("stop_button_disabled"));

        assertEquals("1", facts.get("left_nodes"), run.output());
        assertEquals("xxxx1111", facts.get("left_coverage"), "layers 0-3 shown missing");
        assertTrue(facts.get("left_summary").contains("missing layers 0-3"), facts.get("left_summary"));
        assertTrue(facts.get("left_events").contains("swarm not ready: missing layers 0-3"), facts.get("left_events"));
        assertTrue(Files.size(SCREENSHOT) > 10_000, "a screenshot at " + SCREENSHOT);
    }

    /** When the script has stopped its generation: the swarm cancelled it; then node 0 (layers 0-3) leaves. */
    private void stopWasCancelledThenFirstNodeLeaves(Map<String, String> facts) throws Exception {
        String requestId = facts.get("stop_request_id");
        PipelineStateStore states = new PipelineStateStore(swarm.node(0).cluster().hazelcast(), Duration.ofMinutes(1));
        TestClusters.awaitTrue(WAIT, () -> states.find(requestId).map(s -> s.getString("status").equals("COMPLETED"))
                .orElse(false), () -> "the stopped request's final state: " + states.find(requestId));
        JsonObject state = states.find(requestId).orElseThrow();
        assertTrue(state.getInteger("tokens_generated") < 200, "the swarm stopped generating: " + state.encode());
        swarm.awaitNoSessions();
        swarm.node(0).close(Duration.ofSeconds(10));
    }
}
