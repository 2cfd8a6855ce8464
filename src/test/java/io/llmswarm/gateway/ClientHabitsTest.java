package io.llmswarm.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmswarm.client.TwoNodeDemoSwarm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 14 as a new user meets it, on two nodes of the demo model: the documents' plain question is
 * put into the model's chat template (Ollama's /api/generate: "raw" and "system"); a request without
 * a seed gets a fresh one and is told which; JSON is read whatever the Content-Type; an OpenAI model
 * name the node does not serve is served by its model; errors name the API's fields and show no Java
 * internals; a wrong method, a long URI and large headers get JSON answers.
 */
class ClientHabitsTest {

    @RegisterExtension
    static final GatewaySwarm swarm = GatewaySwarm.readyWithDemoModel();

    private static JsonObject ok(HttpResponse<String> response) {
        assertEquals(200, response.statusCode(), response.body());
        return new JsonObject(response.body());
    }

    private static JsonObject infer(JsonObject request) throws Exception {
        return ok(swarm.http(0).post("/api/inference", request.encode()));
    }

    private static String error(HttpResponse<String> response, int status) {
        assertEquals(status, response.statusCode(), response.body());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElseThrow(), response.body());
        Object error = new JsonObject(response.body()).getValue("error");
        String message = error instanceof JsonObject openAi ? openAi.getString("message") : (String) error;
        for (String internal : List.of("Exception", "java.", "Jackson", "StreamReadFeature", "Source:", "class ")) {
            assertFalse(message.contains(internal), "no Java internals in: " + message);
        }
        return message;
    }

    @Test
    void theDocumentsQuestionGetsTheModelsAnswerThroughItsChatTemplate() throws Exception {
        JsonObject plain = infer(new JsonObject().put("prompt", TwoNodeDemoSwarm.QUESTION).put("max_tokens", 48)
                .put("temperature", 0));
        assertTrue(plain.getString("result").startsWith(TwoNodeDemoSwarm.GLOSS_START), plain.encode());
        JsonObject raw = infer(new JsonObject().put("prompt", TwoNodeDemoSwarm.QUESTION_PROMPT).put("raw", true)
                .put("max_tokens", 48).put("temperature", 0));
        assertEquals(raw.getJsonArray("tokens"), plain.getJsonArray("tokens"));
        assertEquals(raw.getInteger("prompt_tokens"), plain.getInteger("prompt_tokens"));
        // Sent raw, the bare question is only a text to continue: a different, shorter prompt.
        JsonObject bare = infer(new JsonObject().put("prompt", TwoNodeDemoSwarm.QUESTION).put("raw", true)
                .put("max_tokens", 4).put("temperature", 0));
        assertTrue(bare.getInteger("prompt_tokens") < plain.getInteger("prompt_tokens"), bare.encode());
        // A system message goes into the template before the question.
        JsonObject withSystem = infer(new JsonObject().put("prompt", TwoNodeDemoSwarm.QUESTION)
                .put("system", "Answer briefly.").put("max_tokens", 4).put("temperature", 0));
        assertTrue(withSystem.getInteger("prompt_tokens") > plain.getInteger("prompt_tokens"), withSystem.encode());
    }

    @Test
    void rawAndSystemAreCheckedByName() throws Exception {
        assertTrue(error(swarm.http(0).post("/api/inference", new JsonObject().put("prompt", "Hi").put("raw", "yes")
                .encode()), 400).contains("\"raw\""));
        assertTrue(error(swarm.http(0).post("/api/inference", new JsonObject().put("prompt", "Hi").put("raw", true)
                .put("system", "Be brief.").encode()), 400).contains("\"system\""));
        assertTrue(error(swarm.http(0).post("/api/inference", new JsonObject().put("prompt", "Hi").put("system", 3)
                .encode()), 400).contains("\"system\""));
    }

    @Test
    void withoutASeedEachRequestDrawsOneAndSaysWhich() throws Exception {
        JsonObject request = new JsonObject().put("prompt", "Tell me about a dog.").put("max_tokens", 24)
                .put("temperature", 1.5).put("top_k", 0).put("top_p", 1.0).put("min_p", 0.0).put("ignore_eos", true);
        JsonObject first = infer(request);
        JsonObject second = infer(request);
        assertTrue(first.containsKey("seed") && second.containsKey("seed"), first.encode());
        assertNotEquals(first.getLong("seed"), second.getLong("seed"));
        assertNotEquals(first.getJsonArray("tokens"), second.getJsonArray("tokens"), "a fresh seed, a fresh text");
        JsonObject again = infer(request.copy().put("seed", first.getLong("seed")));
        assertEquals(first.getJsonArray("tokens"), again.getJsonArray("tokens"), "the returned seed repeats the run");
        assertEquals(first.getLong("seed"), again.getLong("seed"));
        JsonObject openAi = ok(swarm.http(1).post("/v1/completions", new JsonObject().put("prompt", "A dog")
                .put("max_tokens", 4).encode()));
        assertTrue(openAi.containsKey("seed"), openAi.encode());
    }

    @Test
    void curlsFormContentTypeIsReadAsJsonWhateverTheSize() throws Exception {
        JsonObject request = new JsonObject().put("prompt", TwoNodeDemoSwarm.QUESTION).put("max_tokens", 8)
                .put("temperature", 0).put("stop", new JsonArray().add("x".repeat(4000)));
        HttpResponse<String> response = swarm.http(0).client().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + swarm.node(0).httpPort() + "/api/inference"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(request.encode(), StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(ok(response).getString("result").startsWith(TwoNodeDemoSwarm.GLOSS_START), response.body());
    }

    @Test
    void anOpenAiModelNameTheNodeDoesNotServeIsServedByItsModel() throws Exception {
        String served = ok(swarm.http(0).get("/v1/models")).getJsonArray("data").getJsonObject(0).getString("id");
        JsonObject chat = ok(swarm.http(0).post("/v1/chat/completions", new JsonObject().put("model", "gpt-4")
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", TwoNodeDemoSwarm.QUESTION)))
                .put("max_tokens", 12).put("temperature", 0).encode()));
        assertEquals(served, chat.getString("model"));
        assertTrue(chat.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content")
                .startsWith(TwoNodeDemoSwarm.GLOSS_START), chat.encode());
    }

    @Test
    void errorsNameTheApisFieldsAndShowNoInternals() throws Exception {
        assertTrue(error(swarm.http(0).post("/api/inference", new JsonObject().put("prompt", "Hi").put("top_p", 2)
                .encode()), 400).startsWith("top_p "));
        assertTrue(error(swarm.http(0).post("/api/inference", new JsonObject().put("prompt", "Hi").put("top_k", -1)
                .encode()), 400).startsWith("top_k "));
        assertTrue(error(swarm.http(0).post("/api/inference", "{\"prompt\": \"Hi\""), 400).contains("invalid JSON"));
        assertTrue(error(swarm.http(0).post("/api/inference", "[1, 2]"), 400).contains("not a JSON object"));
        assertTrue(error(swarm.http(0).post("/api/inference", new JsonObject().put("prompt_tokens", "1 2 3").encode()), 400)
                .contains("\"prompt_tokens\""));
        error(swarm.http(0).post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}],"
                + " \"temperature\": \"hot\"}"), 400);
        error(swarm.http(0).post("/v1/completions", "{\"prompt\": " + "[".repeat(2000) + "]".repeat(2000) + "}"), 400);
    }

    @Test
    void aWrongMethodIs405NamingTheRightOne() throws Exception {
        HttpResponse<String> get = swarm.http(0).get("/api/inference");
        assertTrue(error(get, 405).contains("POST"));
        assertEquals("POST", get.headers().firstValue("Allow").orElseThrow());
        HttpResponse<String> chat = swarm.http(0).get("/v1/chat/completions");
        error(chat, 405);
        HttpResponse<String> swarmPost = swarm.http(0).post("/api/swarm", "{}");
        assertEquals("GET", swarmPost.headers().firstValue("Allow").orElseThrow());
        error(swarmPost, 405);
    }

    @Test
    void aLongUriIs414AndLargeHeadersAre431WithJsonBodies() throws Exception {
        assertTrue(error(swarm.http(0).get("/api/swarm?q=" + "a".repeat(9000)), 414).contains("URI"));
        HttpResponse<String> headers = swarm.http(0).client().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + swarm.node(0).httpPort() + "/health"))
                .header("X-Large", "a".repeat(10_000)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(error(headers, 431).contains("headers"));
    }
}
