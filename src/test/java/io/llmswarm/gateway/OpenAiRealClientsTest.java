package io.llmswarm.gateway;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import io.llmswarm.client.TwoNodeDemoSwarm;
import io.llmswarm.client.InferenceRequest;
import io.llmswarm.client.InferenceResult;
import io.llmswarm.client.PipelineState;
import io.llmswarm.client.SwarmClient;
import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.inference.BundledModel;
import io.llmswarm.tokenizer.ChatMessage;
import io.llmswarm.tokenizer.ChatTemplate;
import io.llmswarm.tokenizer.Tokenizer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Real OpenAI clients, unchanged, against two demo-model nodes in this JVM: the official
 * {@code openai} npm package (run by Node.js, {@code src/test/js/openai-client.mjs}) and
 * LangChain4j's OpenAI chat models. Each must get the swarm's greedy answer, usage and finish reason;
 * an aborted npm stream must stop the generation on every shard.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OpenAiRealClientsTest {

    private static final String QUESTION = "What is artificial intelligence?";
    private static final String COMPLETION_PROMPT = "Define: dog\n";
    private static final Path SCRIPT = Path.of("src/test/js/openai-client.mjs");
    private static final Path OPENAI_PACKAGE = Path.of("src/test/js/node_modules/openai/package.json");

    private static TwoNodeDemoSwarm swarm;
    private static String modelName;
    /** What /api/inference answers greedily for the chat question rendered with the model's template. */
    private static InferenceResult chatReference;
    private static InferenceResult completionReference;

    @BeforeAll
    static void startSwarm() throws Exception {
        swarm = TwoNodeDemoSwarm.start();
        String rendered;
        try (GgufFile file = GgufFile.open(BundledModel.path())) {
            modelName = file.metadata().getString("general.name");
            rendered = ChatTemplate.forModel(file.metadata(), Tokenizer.of(file.metadata()), modelName)
                    .prompt(List.of(new ChatMessage("user", QUESTION)));
        }
        try (SwarmClient client = SwarmClient.create(swarm.url(0))) {
            chatReference = client.infer(InferenceRequest.of(rendered).withRaw(true).withMaxTokens(40).withTemperature(0));
            completionReference = client.infer(InferenceRequest.of(COMPLETION_PROMPT).withRaw(true).withMaxTokens(12)
                    .withTemperature(0));
        }
        assertTrue(chatReference.text().startsWith(TwoNodeDemoSwarm.GLOSS_START), chatReference.text());
        assertTrue(completionReference.text().length() > 3, completionReference.text());
    }

    @AfterAll
    static void stopSwarm() throws Exception {
        if (swarm != null) {
            swarm.close();
        }
    }

    private static String finishReason(InferenceResult reference) {
        return reference.finishReason().equals("length") || reference.finishReason().equals("context_full")
                ? "length" : "stop";
    }

    private static void assertUsage(InferenceResult reference, JsonObject usage) {
        assertEquals(reference.promptTokens(), usage.getInteger("prompt_tokens"), usage.encode());
        assertEquals(reference.tokens().length, usage.getInteger("completion_tokens"), usage.encode());
        assertEquals(reference.promptTokens() + reference.tokens().length, usage.getInteger("total_tokens"));
    }

    @Test
    void theOfficialOpenAiNpmPackageGetsTheGreedyAnswersUsageAndFinishReasons() throws Exception {
        JsonObject got = runOpenAiScript(swarm.url(1) + "/v1");
        assertEquals(new JsonArray().add(modelName), got.getJsonArray("models"));
        assertEquals(new JsonObject().put("id", modelName).put("object", "model"), got.getJsonObject("retrieved"));
        JsonObject unknown = got.getJsonObject("unknown_model");
        assertEquals(404, unknown.getInteger("status"), unknown.encode());
        assertEquals("model_not_found", unknown.getString("code"), unknown.encode());

        JsonObject chat = got.getJsonObject("chat");
        assertEquals(chatReference.text(), chat.getString("text"));
        assertEquals("assistant", chat.getString("role"));
        assertEquals(finishReason(chatReference), chat.getString("finish_reason"));
        assertUsage(chatReference, chat.getJsonObject("usage"));

        JsonObject stream = got.getJsonObject("stream");
        StringBuilder deltas = new StringBuilder();
        stream.getJsonArray("deltas").forEach(d -> deltas.append((String) d));
        assertEquals(chatReference.text(), deltas.toString());
        assertTrue(stream.getJsonArray("deltas").size() > 5, "token by token: " + stream.encode());
        assertEquals("assistant", stream.getString("role"));
        assertEquals(finishReason(chatReference), stream.getString("finish_reason"));
        assertUsage(chatReference, stream.getJsonObject("usage"));

        JsonObject completion = got.getJsonObject("completion");
        assertEquals(completionReference.text(), completion.getString("text"));
        assertEquals(finishReason(completionReference), completion.getString("finish_reason"));
        assertUsage(completionReference, completion.getJsonObject("usage"));
        JsonObject completionStream = got.getJsonObject("completion_stream");
        StringBuilder pieces = new StringBuilder();
        completionStream.getJsonArray("pieces").forEach(p -> pieces.append((String) p));
        assertEquals(completionReference.text(), pieces.toString());
        assertEquals(finishReason(completionReference), completionStream.getString("finish_reason"));

        // Greedy: each chosen token is its own first alternative, spelled as it prints ("▁" is a space).
        JsonArray logprobs = got.getJsonArray("logprobs");
        assertEquals(4, logprobs.size(), logprobs.encode());
        for (int i = 0; i < logprobs.size(); i++) {
            JsonObject token = logprobs.getJsonObject(i);
            JsonArray top = token.getJsonArray("top_logprobs");
            assertEquals(3, top.size(), token.encode());
            assertEquals(token.getString("token"), top.getJsonObject(0).getString("token"), token.encode());
            for (Object alternative : top) {
                String text = ((JsonObject) alternative).getString("token");
                assertFalse(text.contains("\u2581") || text.contains("<0x"), "decoded text: " + top.encode());
            }
        }
        assertTrue(logprobs.getJsonObject(1).getString("token").startsWith(" "), logprobs.encode());

        // Aborting the stream (the client closes the connection) stops the generation on every shard.
        JsonObject aborted = got.getJsonObject("aborted");
        assertEquals(3, aborted.getInteger("chunks"), aborted.encode());
        String abortedId = aborted.getString("request_id");
        for (SwarmNode node : swarm.nodes()) {
            TestClusters.awaitTrue(Duration.ofSeconds(30), () -> node.shard().sessionCount() == 0,
                    () -> "sessions to close on " + node.layers());
        }
        try (SwarmClient client = SwarmClient.create(swarm.url(0))) {
            TestClusters.awaitTrue(Duration.ofSeconds(30), () -> isFinal(client, abortedId), () -> "a final state");
            PipelineState state = client.pipelineState(abortedId).orElseThrow();
            assertTrue(state.tokensGenerated() < 200, "stopped early: " + state);
        }

        JsonObject refused = got.getJsonObject("refused");
        assertEquals(400, refused.getInteger("status"), refused.encode());
        assertTrue(refused.getString("message").contains("temperature"), refused.encode());
        assertEquals("invalid_request_error", refused.getString("type"), refused.encode());
        assertEquals("temperature", refused.getString("param"), refused.encode());
        JsonObject unsupported = got.getJsonObject("unsupported");
        assertEquals(404, unsupported.getInteger("status"), unsupported.encode());
        assertTrue(unsupported.getString("message").contains("POST /v1/embeddings"), unsupported.encode());
        assertEquals("invalid_request_error", unsupported.getString("type"), unsupported.encode());
    }

    private static boolean isFinal(SwarmClient client, String requestId) {
        try {
            return client.pipelineState(requestId).map(PipelineState::isFinal).orElse(false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static OpenAiChatModel.OpenAiChatModelBuilder chatModel() {
        return OpenAiChatModel.builder().baseUrl(swarm.url(0) + "/v1").apiKey("no-key").modelName(modelName)
                .temperature(0.0).maxTokens(40).timeout(Duration.ofSeconds(60)).maxRetries(0);
    }

    @Test
    void langChain4jsChatModelGetsTheGreedyAnswer() {
        ChatResponse response = chatModel().build().chat(ChatRequest.builder()
                .messages(UserMessage.from(QUESTION)).build());
        assertEquals(chatReference.text(), response.aiMessage().text());
        assertEquals(finishReason(chatReference).equals("stop") ? FinishReason.STOP : FinishReason.LENGTH,
                response.finishReason());
        assertEquals(chatReference.promptTokens(), response.tokenUsage().inputTokenCount());
        assertEquals(chatReference.tokens().length, response.tokenUsage().outputTokenCount());
        assertEquals(modelName, response.modelName());
    }

    @Test
    void langChain4jsStreamingChatModelStreamsTheGreedyAnswer() throws Exception {
        OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder().baseUrl(swarm.url(1) + "/v1")
                .apiKey("no-key").modelName(modelName).temperature(0.0).maxTokens(40)
                .timeout(Duration.ofSeconds(60)).build();
        StringBuilder partials = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(QUESTION, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                partials.append(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse response = done.get(60, TimeUnit.SECONDS);
        assertEquals(chatReference.text(), partials.toString());
        assertEquals(chatReference.text(), response.aiMessage().text());
        assertEquals(finishReason(chatReference).equals("stop") ? FinishReason.STOP : FinishReason.LENGTH,
                response.finishReason());
        // LangChain4j asks for the usage chunk (stream_options.include_usage) and reads it.
        assertEquals(chatReference.promptTokens(), response.tokenUsage().inputTokenCount());
        assertEquals(chatReference.tokens().length, response.tokenUsage().outputTokenCount());
    }

    /** Runs the openai npm package's script with Node.js and returns the JSON it printed last. */
    private static JsonObject runOpenAiScript(String baseUrl) throws Exception {
        if (!Files.exists(OPENAI_PACKAGE)) {
            fail("the openai npm package is missing: run `npm ci --prefix src/test/js` (.ci/run does)");
        }
        Process process;
        try {
            process = new ProcessBuilder("node", SCRIPT.toString(), baseUrl, QUESTION, COMPLETION_PROMPT)
                    .redirectErrorStream(false).start();
        } catch (IOException e) {
            throw new AssertionError("Node.js (`node`) is needed to run the openai npm client: " + e.getMessage(), e);
        }
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        String stdout = read(process.getInputStream());
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("the openai client script did not finish within 60 s; it printed: " + stdout + stderr.getNow(""));
        }
        assertEquals(0, process.exitValue(), "the openai client script failed: " + stdout + "\n" + stderr.get());
        String last = stdout.strip().lines().reduce((first, second) -> second).orElse("");
        return new JsonObject(last);
    }

    private static String read(InputStream stream) {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }
}
