package io.llmswarm.gateway;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web UI on nodes with API keys, in headless Chromium ({@code src/test/js/web-ui-key.test.mjs}):
 * opened without a key it says plainly that the node answers 401 and asks for the key (instead of
 * showing "disconnected" for ever), a wrong key is said to be refused, and with the key it streams
 * answers; a prompt sent while the bridge's socket reconnects is not lost.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class WebUiKeyAndReconnectTest {

    private static final String KEY = "web-ui-test-key-0001";

    @RegisterExtension
    static final GatewaySwarm swarm = GatewaySwarm.ready(
            new GatewaySettings("127.0.0.1", ApiKeys.of(List.of(KEY)), GatewayLimits.defaults()));

    @Test
    void aKeyedNodeAsksForItsKeyAndAPromptSentWhileReconnectingIsAnswered() throws Exception {
        NodeScript.assertBrowserThere();
        NodeScript.Run run = NodeScript.run("web-ui-key.test.mjs", Duration.ofSeconds(100),
                "http://127.0.0.1:" + swarm.node(1).httpPort() + "/", KEY);
        assertEquals(0, run.exitCode(), "the browser script failed:\n" + run.output());
        Map<String, String> facts = run.facts();
        assertTrue(facts.get("wrong_key_message").contains("refused this API key (401"), run.output());
        assertTrue(facts.get("no_key_message").contains("needs an API key (401 Unauthorized)"), run.output());
        assertEquals("API key needed", facts.get("no_key_connection"));
        assertEquals("true", facts.get("key_form_hidden"));
        assertEquals("length", facts.get("keyed_finish"), run.output());
        assertEquals("6", facts.get("keyed_tokens"));
        assertEquals("length", facts.get("reconnect_finish"), "the prompt sent while reconnecting: " + run.output());
        assertEquals("6", facts.get("reconnect_tokens"));
        assertEquals("true", facts.get("send_enabled_after"));
        assertEquals("0", facts.get("page_errors"), run.output());
        swarm.awaitNoSessions();
    }
}
