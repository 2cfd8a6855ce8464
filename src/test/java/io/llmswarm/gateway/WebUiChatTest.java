package io.llmswarm.gateway;

import io.llmswarm.coordinator.Incident;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web UI as a chat in a real browser ({@code src/test/js/web-ui-chat.test.mjs}, headless Chromium
 * through Playwright) against two in-JVM nodes serving the demo model: conversations sent as chat
 * messages with the page's settings, kept over a reload, listed in the sidebar; markdown rendered and
 * sanitised; the transcript scrolling inside its pane at desktop and phone sizes. Leaves screenshots at
 * {@code target/web-ui-desktop.png} and {@code target/web-ui-phone.png} (the README's are these).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WebUiChatTest {

    private static final Path SHOTS = Path.of("target");
    private static final Duration SCRIPT_LIMIT = Duration.ofSeconds(120);

    @RegisterExtension
    static final GatewaySwarm swarm = GatewaySwarm.readyWithDemoModel();

    @BeforeAll
    static void theBrowserAndItsDriverAreThere() {
        NodeScript.assertBrowserThere();
    }

    @Test
    void aConversationKeepsItsTurnsAndSettingsRendersMarkdownSafelyAndScrollsInsideItsPane() throws Exception {
        Files.createDirectories(SHOTS);
        Files.deleteIfExists(SHOTS.resolve("web-ui-desktop.png"));
        Files.deleteIfExists(SHOTS.resolve("web-ui-phone.png"));
        String url = "http://127.0.0.1:" + swarm.node(1).httpPort() + "/";
        NodeScript.Run run = NodeScript.run("web-ui-chat.test.mjs", SCRIPT_LIMIT, "FACT awaiting_incident=true",
                facts -> swarm.node(1).cluster().vertx().eventBus().publish(BridgeAddresses.EVENTS,
                        SwarmEvents.incidentJson(new Incident.Breaker(swarm.node(0).nodeId(), true))),
                url, SHOTS.toString());
        assertEquals(0, run.exitCode(), "the browser script failed:\n" + run.output());
        Map<String, String> facts = run.facts();
        String output = run.output();

        assertEquals("0", facts.get("chats_at_start"), output);
        JsonArray cards = new JsonArray(facts.get("node_cards"));
        assertEquals(2, cards.size(), output);
        for (Object c : cards) {
            JsonObject card = (JsonObject) c;
            assertTrue(card.getString("hover").contains(card.getString("id")) && card.getString("id").length() == 36,
                    "the full node id on hover: " + card);
            assertTrue(card.getString("address").matches("[0-9.]+:[0-9]+"), "the node's cluster address: " + card);
            assertTrue(card.getString("backend").startsWith("java · 1 thread · layers "), "backend and threads: " + card);
        }
        assertEquals("node " + swarm.node(0).nodeId().substring(0, 8)
                + " avoided: its circuit breaker opened after repeated faults", facts.get("incident_event"));
        assertEquals("2", facts.get("requests"), "one request per turn: " + output);
        assertEquals("system,user", facts.get("first_roles"), output);
        assertEquals("system,user,assistant,user", facts.get("second_roles"), "the second turn carries the first: " + output);
        assertEquals("true", facts.get("second_carries_first_question"), output);
        assertEquals("true", facts.get("second_carries_first_answer"), output);
        assertEquals("Tell me more about it", facts.get("second_last"));
        assertEquals("You are a terse assistant.", facts.get("system_message"));
        JsonObject sampling = new JsonObject(facts.get("sampling"));
        assertEquals(0.5, sampling.getDouble("temperature"), 1e-9, output);
        assertEquals(0.9, sampling.getDouble("top_p"), 1e-9);
        assertEquals(5, sampling.getInteger("top_k"));
        assertEquals(0.1, sampling.getDouble("min_p"), 1e-9);
        assertEquals(1.1, sampling.getDouble("repeat_penalty"), 1e-9);
        assertEquals(42, sampling.getInteger("seed"));
        assertEquals(new JsonArray().add("zzqq").add("###"), sampling.getJsonArray("stop"));
        assertEquals(24, sampling.getInteger("max_tokens"));
        assertEquals(String.valueOf(swarm.node(1).coordinator().model().contextLength()), facts.get("max_tokens_bound"),
                "max tokens bounded by the model's context");
        // The node rendered both turns into the second prompt: it is longer than the first prompt and answer together.
        int firstPrompt = Integer.parseInt(facts.get("first_prompt_tokens"));
        int firstAnswer = Integer.parseInt(facts.get("first_answer_tokens"));
        int secondPrompt = Integer.parseInt(facts.get("second_prompt_tokens"));
        assertTrue(firstPrompt > 0 && firstAnswer > 0, output);
        assertTrue(secondPrompt > firstPrompt + firstAnswer,
                "second prompt " + secondPrompt + " tokens, first prompt " + firstPrompt + " + answer " + firstAnswer);
        assertEquals("What is artificial intelligence?", facts.get("chat_titles"));

        assertEquals("system,user,assistant,user", facts.get("regenerate_roles"), "regenerate asks the same turns again");
        assertEquals("4", facts.get("messages_after_regenerate"), "the answer replaced, not added");
        assertEquals("true", facts.get("reload_keeps_conversation"), output);
        assertEquals("5|You are a terse assistant.|0.5", facts.get("reload_keeps_settings"));

        assertEquals("About AI", facts.get("renamed"));
        assertEquals("0", facts.get("new_chat_transcript"));
        assertEquals("system:,user:What is a computer?", facts.get("edit_request"), "the edited message replaced the first one");
        assertEquals("2", facts.get("messages_after_edit"));
        assertEquals("What is a computer?|About AI", facts.get("chats_before_delete"));
        assertEquals("About AI", facts.get("chats_after_delete"));
        assertEquals("About AI", facts.get("stored_after_delete"));

        JsonObject markdown = new JsonObject(facts.get("markdown"));
        assertEquals("A heading", markdown.getString("h1"), output);
        assertEquals("bold", markdown.getString("bold"));
        assertEquals("console.log(1);\n", markdown.getString("code"));
        assertEquals(1, markdown.getInteger("copyButtons"), "a copy button on the code block");
        assertEquals(0, markdown.getInteger("scripts"), "no <script> from the answer in the page");
        assertEquals(0, markdown.getInteger("handlers"), "no event handler attributes from the answer");
        assertEquals(0, markdown.getInteger("jsLinks"), "no javascript: links");
        assertEquals("undefined", facts.get("pwned"), "nothing in the answer ran");
        assertEquals("true", facts.get("user_markup_as_text"), "a user's message is shown as typed");

        for (String size : new String[] {"desktop_layout", "desktop_layout_scrolled_up", "phone_layout"}) {
            JsonObject layout = new JsonObject(facts.get(size));
            assertEquals(false, layout.getBoolean("pageScrolls"), size + ": the page itself does not scroll: " + layout);
            assertEquals(false, layout.getBoolean("pageScrollsSideways"), size + ": " + layout);
            assertEquals(true, layout.getBoolean("transcriptScrolls"), size + ": the transcript does: " + layout);
            assertEquals(true, layout.getBoolean("header"), size + ": header on screen: " + layout);
            assertEquals(true, layout.getBoolean("composer"), size + ": composer on screen: " + layout);
            assertEquals(true, layout.getBoolean("send"), size + ": Send on screen: " + layout);
        }
        assertEquals(true, new JsonObject(facts.get("desktop_layout")).getBoolean("swarm"), "the swarm panel on screen");
        assertEquals("drawer", new JsonObject(facts.get("phone_layout")).getString("swarm"), "on a phone, a drawer");
        assertEquals("2", facts.get("phone_swarm_drawer"), "the drawer shows both nodes");
        assertEquals("true", facts.get("dark_mode_changes_background"), "dark mode follows the system");
        assertTrue(Files.size(SHOTS.resolve("web-ui-desktop.png")) > 10_000);
        assertTrue(Files.size(SHOTS.resolve("web-ui-phone.png")) > 10_000);
    }
}
