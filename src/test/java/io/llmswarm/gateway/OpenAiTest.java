package io.llmswarm.gateway;

import io.llmswarm.gguf.GgufFile;
import io.llmswarm.tokenizer.ChatMessage;
import io.llmswarm.tokenizer.ChatTemplate;
import io.llmswarm.tokenizer.Tokenizer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAI-compatible API on two swarm nodes in this JVM (layers 0-3 and 4-7): its greedy
 * answers must equal what {@code /api/inference} gives for the same (rendered) prompt.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpenAiTest {

    @RegisterExtension
    static final GatewaySwarm swarm = GatewaySwarm.firstHalf();

    private static Tokenizer tokenizer;
    private static ChatTemplate template;

    @BeforeAll
    static void readTheModelsTokenizer() {
        try (GgufFile gguf = GgufFile.open(swarm.model())) {
            tokenizer = Tokenizer.of(gguf.metadata());
            template = ChatTemplate.forModel(gguf.metadata(), tokenizer, "test");
        }
    }

    /** A GET when {@code body} is null, else a POST of it. */
    private static HttpResponse<String> send(int node, String path, String body) throws Exception {
        return body == null ? swarm.http(node).get(path) : swarm.http(node).post(path, body);
    }

    /** The JSON of each {@code data:} line of a stream, up to {@code [DONE]}, which must end it. */
    private static List<JsonObject> chunks(String stream) {
        List<JsonObject> chunks = new ArrayList<>();
        boolean done = false;
        for (String line : stream.split("\n")) {
            if (line.startsWith("data: ")) {
                assertTrue(!done, "nothing after [DONE]: " + stream);
                String data = line.substring("data: ".length());
                if (data.equals("[DONE]")) {
                    done = true;
                } else {
                    chunks.add(new JsonObject(data));
                }
            }
        }
        assertTrue(done, "the stream ends with [DONE]: " + stream);
        return chunks;
    }

    /** What {@code /api/inference} answers greedily for these prompt tokens. */
    private static JsonObject reference(String prompt, int maxTokens) throws Exception {
        JsonArray tokens = new JsonArray();
        for (int id : tokenizer.encode(prompt, true, true)) {
            tokens.add(id);
        }
        HttpResponse<String> response = send(0, "/api/inference", new JsonObject()
                .put("prompt_tokens", tokens).put("max_tokens", maxTokens).put("temperature", 0).encode());
        assertEquals(200, response.statusCode(), response.body());
        JsonObject reference = new JsonObject(response.body());
        assertTrue(reference.getString("result").strip().length() > 3, "a reference worth comparing: " + response.body());
        return reference;
    }

    private static void assertUsage(JsonObject reference, JsonObject usage) {
        int prompt = reference.getInteger("prompt_tokens");
        int completion = reference.getJsonArray("tokens").size();
        assertEquals(prompt, usage.getInteger("prompt_tokens"), usage.encode());
        assertEquals(completion, usage.getInteger("completion_tokens"), usage.encode());
        assertEquals(prompt + completion, usage.getInteger("total_tokens"), usage.encode());
    }

    private static String finishReason(JsonObject reference) {
        return reference.getString("finish_reason").equals("length") ? "length" : "stop";
    }

    private static void assertError(HttpResponse<String> response, int status, String reason) {
        assertEquals(status, response.statusCode(), response.body());
        JsonObject error = new JsonObject(response.body()).getJsonObject("error");
        assertNotNull(error, response.body());
        assertTrue(error.getString("message").contains(reason), response.body());
        assertNotNull(error.getString("type"), response.body());
        assertTrue(error.containsKey("param") && error.containsKey("code"), response.body());
    }

    @Test
    @Order(1)
    void beforeTheSwarmIsCompleteCompletionsAnswer503AsAnOpenAiError() throws Exception {
        HttpResponse<String> response = send(0, "/v1/completions", "{\"prompt\": \"Hello\", \"max_tokens\": 3}");
        assertError(response, 503, "4-7");
        assertTrue(response.headers().firstValue("Retry-After").isPresent());
        swarm.startSecondHalf();
    }

    @Test
    @Order(2)
    void modelsListsTheSwarmsModel() throws Exception {
        HttpResponse<String> response = send(1, "/v1/models", null);
        assertEquals(200, response.statusCode(), response.body());
        JsonObject body = new JsonObject(response.body());
        assertEquals("list", body.getString("object"));
        JsonObject model = body.getJsonArray("data").getJsonObject(0);
        assertEquals("swarm-test", model.getString("id"));
        assertEquals("model", model.getString("object"));
        assertEquals(swarm.node(1).coordinator().model().fingerprint(), model.getString("fingerprint"));
    }

    @Test
    @Order(3)
    void completionsEqualTheInferenceApiWholeAndStreamed() throws Exception {
        JsonObject reference = reference("Once upon a time", 12);
        JsonObject request = new JsonObject().put("model", "swarm-test").put("prompt", "Once upon a time")
                .put("max_tokens", 12).put("temperature", 0);
        HttpResponse<String> whole = send(1, "/v1/completions", request.encode());
        assertEquals(200, whole.statusCode(), whole.body());
        JsonObject body = new JsonObject(whole.body());
        assertEquals("text_completion", body.getString("object"));
        JsonObject choice = body.getJsonArray("choices").getJsonObject(0);
        assertEquals(reference.getString("result"), choice.getString("text"));
        assertEquals(finishReason(reference), choice.getString("finish_reason"));
        assertNull(choice.getValue("logprobs"));
        assertUsage(reference, body.getJsonObject("usage"));

        HttpResponse<String> streamed = send(0, "/v1/completions", request.copy().put("stream", true)
                .put("logprobs", 2).put("stream_options", new JsonObject().put("include_usage", true)).encode());
        assertEquals(200, streamed.statusCode(), streamed.body());
        assertEquals("text/event-stream", streamed.headers().firstValue("Content-Type").orElseThrow());
        List<JsonObject> chunks = chunks(streamed.body());
        StringBuilder text = new StringBuilder();
        int tokens = 0;
        for (JsonObject chunk : chunks.subList(0, chunks.size() - 2)) {
            assertEquals("text_completion", chunk.getString("object"));
            JsonObject c = chunk.getJsonArray("choices").getJsonObject(0);
            text.append(c.getString("text"));
            JsonObject logprobs = c.getJsonObject("logprobs");
            assertTrue(logprobs.getJsonArray("token_logprobs").getFloat(0) <= 0, logprobs.encode());
            assertEquals(2, logprobs.getJsonArray("top_logprobs").getJsonObject(0).size(), logprobs.encode());
            tokens++;
        }
        assertEquals(reference.getString("result"), text.toString());
        assertEquals(reference.getJsonArray("tokens").size(), tokens);
        JsonObject last = chunks.get(chunks.size() - 2).getJsonArray("choices").getJsonObject(0);
        assertEquals(finishReason(reference), last.getString("finish_reason"));
        assertUsage(reference, chunks.getLast().getJsonObject("usage"));
    }

    @Test
    @Order(4)
    void chatRendersTheTemplateAndEqualsTheInferenceApiWholeAndStreamed() throws Exception {
        List<ChatMessage> messages = List.of(new ChatMessage("system", "You tell stories."),
                new ChatMessage("user", "Tell me about a dog"));
        String rendered = template.prompt(messages);
        JsonObject reference = reference(rendered, 10);
        JsonArray json = new JsonArray();
        messages.forEach(m -> json.add(new JsonObject().put("role", m.role()).put("content", m.content())));
        JsonObject request = new JsonObject().put("messages", json).put("max_tokens", 10).put("temperature", 0)
                .put("seed", 3).put("logprobs", true).put("top_logprobs", 3);
        HttpResponse<String> whole = send(0, "/v1/chat/completions", request.encode());
        assertEquals(200, whole.statusCode(), whole.body());
        JsonObject body = new JsonObject(whole.body());
        assertEquals("chat.completion", body.getString("object"));
        assertTrue(body.getString("id").startsWith("chatcmpl-"));
        JsonObject choice = body.getJsonArray("choices").getJsonObject(0);
        assertEquals("assistant", choice.getJsonObject("message").getString("role"));
        assertEquals(reference.getString("result"), choice.getJsonObject("message").getString("content"));
        assertEquals(finishReason(reference), choice.getString("finish_reason"));
        JsonArray content = choice.getJsonObject("logprobs").getJsonArray("content");
        assertEquals(reference.getJsonArray("tokens").size(), content.size());
        JsonObject first = content.getJsonObject(0);
        assertEquals(3, first.getJsonArray("top_logprobs").size());
        // Greedy: the chosen token is the likeliest, so no alternative beats it.
        assertTrue(first.getFloat("logprob") >= first.getJsonArray("top_logprobs").getJsonObject(0).getFloat("logprob") - 1e-5f,
                first.encode());
        assertUsage(reference, body.getJsonObject("usage"));

        JsonObject streaming = request.copy().put("stream", true).put("logprobs", false);
        streaming.remove("top_logprobs");
        HttpResponse<String> streamed = send(1, "/v1/chat/completions", streaming.encode());
        assertEquals(200, streamed.statusCode(), streamed.body());
        List<JsonObject> chunks = chunks(streamed.body());
        assertEquals("assistant", chunks.getFirst().getJsonArray("choices").getJsonObject(0)
                .getJsonObject("delta").getString("role"));
        StringBuilder text = new StringBuilder();
        for (JsonObject chunk : chunks) {
            assertEquals("chat.completion.chunk", chunk.getString("object"));
            assertEquals(chunks.getFirst().getString("id"), chunk.getString("id"));
            text.append(chunk.getJsonArray("choices").getJsonObject(0).getJsonObject("delta").getString("content", ""));
        }
        assertEquals(reference.getString("result"), text.toString());
        assertEquals(finishReason(reference), chunks.getLast().getJsonArray("choices").getJsonObject(0)
                .getString("finish_reason"));
    }

    @Test
    @Order(5)
    void aStopStringEndsTheTextBeforeItWithFinishReasonStop() throws Exception {
        String text = reference("Once upon a time", 12).getString("result");
        // A piece from the middle of the greedy text: the answer must end right before its first occurrence.
        String stop = text.substring(text.length() / 2, text.length() / 2 + 2);
        HttpResponse<String> response = send(1, "/v1/completions", new JsonObject()
                .put("prompt", "Once upon a time").put("max_tokens", 12).put("temperature", 0)
                .put("stop", new JsonArray().add(stop)).encode());
        assertEquals(200, response.statusCode(), response.body());
        JsonObject choice = new JsonObject(response.body()).getJsonArray("choices").getJsonObject(0);
        assertEquals(text.substring(0, text.indexOf(stop)), choice.getString("text"), "stop " + stop);
        assertEquals("stop", choice.getString("finish_reason"));
    }

    @Test
    @Order(6)
    void badRequestsGetOpenAiErrorObjects() throws Exception {
        int node = 0;
        assertError(send(node, "/v1/chat/completions", "{\"messages\": "), 400, "not a JSON object");
        assertError(send(node, "/v1/chat/completions", "{\"max_tokens\": 3}"), 400, "\"messages\"");
        assertError(send(node, "/v1/chat/completions", "{\"messages\": [{\"content\": \"hi\"}]}"), 400, "\"role\"");
        assertError(send(node, "/v1/completions", "{\"prompt\": \"Hi\", \"model\": 4}"), 400, "\"model\"");
        assertError(send(node, "/v1/completions", "{\"prompt\": \"Hi\", \"temperature\": -1}"), 400, "temperature");
        assertError(send(node, "/v1/completions", "{\"prompt\": \"Hi\", \"n\": 2}"), 400, "\"n\"");
        assertError(send(node, "/v1/completions", "{\"prompt\": \"Hi\", \"logprobs\": 9}"), 400, "\"logprobs\"");
        HttpResponse<String> maxTokens = send(node, "/v1/completions", "{\"prompt\": \"Hi\", \"max_tokens\": 0}");
        assertError(maxTokens, 400, "max_tokens");
        assertEquals("max_tokens", new JsonObject(maxTokens.body()).getJsonObject("error").getString("param"));
        assertError(send(node, "/v1/completions", new JsonObject().put("prompt", "a long story ".repeat(200)).encode()),
                400, "the model's context holds 128 tokens");
    }
}
