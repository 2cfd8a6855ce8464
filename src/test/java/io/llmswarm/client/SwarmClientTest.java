package io.llmswarm.client;

import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.coordinator.PipelineStateStore;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link SwarmClient} against two demo-model nodes in this JVM: the swarm's greedy answer, whole and streamed. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SwarmClientTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private static TwoNodeDemoSwarm swarm;
    private static SwarmClient client;

    @BeforeAll
    static void startSwarm() throws Exception {
        swarm = TwoNodeDemoSwarm.start();
        client = SwarmClient.create(swarm.url(1));
    }

    @AfterAll
    static void stopSwarm() throws Exception {
        if (client != null) {
            client.close();
        }
        if (swarm != null) {
            swarm.close();
        }
    }

    @Test
    void controlTokenTextInThePromptIsParsedAndGivesTheGlossAnswerWithMetadataAndPipelineState() throws Exception {
        InferenceResult result = client.infer(InferenceRequest.of(TwoNodeDemoSwarm.QUESTION_PROMPT).withRaw(true).withMaxTokens(48)
                .withTemperature(0));
        int[] special = swarm.engine().tokenizer().encode(TwoNodeDemoSwarm.QUESTION_PROMPT, true, true);
        int[] plain = swarm.engine().tokenizer().encode(TwoNodeDemoSwarm.QUESTION_PROMPT, true, false);
        assertNotEquals(special.length, plain.length, "</s> and <|user|> tokenize differently as text");
        assertEquals(special.length, result.promptTokens(), "the prompt's </s> became the control token");
        assertArrayEquals(swarm.greedyTokens(TwoNodeDemoSwarm.QUESTION_PROMPT, 48), result.tokens(), result.text());
        assertTrue(result.text().startsWith(TwoNodeDemoSwarm.GLOSS_START), result.text());
        assertEquals("stop", result.finishReason());
        InferenceResult.Metadata meta = result.metadata();
        assertEquals(result.tokens().length, meta.tokensGenerated());
        assertTrue(meta.route().contains("[0-3]") && meta.route().contains("[4-7]"), meta.route());
        assertEquals(2, meta.shardLatencies().size(), meta.shardLatencies().toString());
        assertTrue(meta.totalLatencyMs() > 0 && meta.timeToFirstTokenMs() > 0 && meta.tokensPerSecond() > 0,
                meta.toString());
        assertTrue(result.requestId() != null && !result.requestId().isBlank());

        TestClusters.awaitTrue(WAIT, () -> finalState(result.requestId()), () -> "the final pipeline state");
        PipelineState state = client.pipelineState(result.requestId()).orElseThrow();
        assertEquals("COMPLETED", state.status());
        assertEquals(result.tokens().length, state.tokensGenerated());
        assertEquals(2, state.shards().size(), state.toString());
        assertTrue(state.shards().get(0).shard().endsWith("[0-3]") && state.shards().get(1).shard().endsWith("[4-7]"),
                "in route order: " + state);
        assertTrue(client.pipelineState("no-such-request").isEmpty());

        InferenceResult async = client.inferAsync(InferenceRequest.of(TwoNodeDemoSwarm.QUESTION_PROMPT).withRaw(true).withMaxTokens(48)
                .withTemperature(0)).get(30, TimeUnit.SECONDS);
        assertEquals(result.text(), async.text());
    }

    private static boolean finalState(String requestId) {
        try {
            return client.pipelineState(requestId).map(PipelineState::isFinal).orElse(false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
    void aStreamDeliversEachTokenInOrderThenTheSameAnswer() throws Exception {
        List<StreamedToken> tokens = new CopyOnWriteArrayList<>();
        InferenceRequest request = InferenceRequest.of(TwoNodeDemoSwarm.QUESTION_PROMPT).withRaw(true).withMaxTokens(48).withTemperature(0)
                .withTopLogprobs(3);
        TokenStream<InferenceResult> stream = client.stream(request, tokens::add);
        InferenceResult result = stream.await();
        assertArrayEquals(swarm.greedyTokens(TwoNodeDemoSwarm.QUESTION_PROMPT, 48), result.tokens());
        assertEquals(result.tokens().length, tokens.size());
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < tokens.size(); i++) {
            assertEquals(i, tokens.get(i).index());
            assertEquals(result.tokens()[i], tokens.get(i).id());
            assertTrue(tokens.get(i).logprob() <= 0, tokens.get(i).toString());
            text.append(tokens.get(i).text());
            // Greedy: the chosen token leads its alternatives, each spelled as it prints.
            List<StreamedToken.Alternative> top = tokens.get(i).topLogprobs();
            assertEquals(3, top.size(), tokens.get(i).toString());
            assertEquals(tokens.get(i).id(), top.getFirst().id(), tokens.get(i).toString());
            for (StreamedToken.Alternative alternative : top) {
                assertEquals(swarm.engine().tokenizer().tokenPiece(alternative.id()), alternative.text());
                assertTrue(!alternative.text().contains("\u2581") && !alternative.text().contains("<0x"),
                        alternative.toString());
            }
        }
        assertTrue(tokens.get(1).topLogprobs().getFirst().text().startsWith(" "), tokens.get(1).toString());
        assertEquals(result.text(), text.toString());
        assertEquals(result.requestId(), stream.requestId().orElseThrow());
        assertEquals(2, result.metadata().shardLatencies().size());
    }

    @Test
    void aChatStreamRendersTheTemplateOnTheNodeAndGivesTheSameAnswer() throws Exception {
        StringBuilder pieces = new StringBuilder();
        ChatResult chat = client.streamChat(ChatRequest.of("What is artificial intelligence?").withMaxTokens(48)
                .withTemperature(0), pieces::append).await();
        InferenceResult reference = client.infer(InferenceRequest.of(TwoNodeDemoSwarm.QUESTION_PROMPT).withRaw(true).withMaxTokens(48)
                .withTemperature(0));
        assertEquals(reference.text(), chat.text());
        assertEquals(reference.text(), pieces.toString());
        assertEquals("stop", chat.finishReason());
        assertEquals(reference.promptTokens(), chat.promptTokens());
        assertEquals(reference.tokens().length, chat.completionTokens());
    }

    @Test
    void refusalsCarryTheNodesMessage() throws Exception {
        SwarmClientException blocking = assertThrows(SwarmClientException.class,
                () -> client.infer(InferenceRequest.of("Hello").withTemperature(-1)));
        assertEquals(400, blocking.status());
        assertTrue(blocking.getMessage().contains("temperature"), blocking.getMessage());

        TokenStream<InferenceResult> stream = client.stream(InferenceRequest.of("Hello").withMaxTokens(100_000),
                token -> { });
        SwarmClientException streamed = assertThrows(SwarmClientException.class, stream::await);
        assertEquals(400, streamed.status());
        assertTrue(streamed.getMessage().contains("max_tokens"), streamed.getMessage());

        ExecutionException chat = assertThrows(ExecutionException.class, () -> client.streamChat(
                ChatRequest.of("Hello").withTemperature(-1), piece -> { }).result().get(30, TimeUnit.SECONDS));
        SwarmClientException chatRefusal = assertInstanceOf(SwarmClientException.class, chat.getCause());
        assertEquals(400, chatRefusal.status());
        assertTrue(chatRefusal.getMessage().contains("temperature"), chatRefusal.getMessage());

        int closedPort = TestClusters.freePorts(1).getFirst();
        try (SwarmClient nowhere = SwarmClient.create("http://127.0.0.1:" + closedPort)) {
            SwarmClientException unreachable = assertThrows(SwarmClientException.class,
                    () -> nowhere.infer(InferenceRequest.of("Hello")));
            assertTrue(unreachable.getMessage().contains("cannot reach the node at http://127.0.0.1:" + closedPort),
                    unreachable.getMessage());
        }
    }

    @Test
    void cancellingAStreamStopsTheGenerationOnEveryShard() throws Exception {
        int maxTokens = 200;
        CountDownLatch twoTokens = new CountDownLatch(2);
        TokenStream<InferenceResult> stream = client.stream(InferenceRequest.of("Once upon a time")
                .withMaxTokens(maxTokens).withTemperature(0).withIgnoreEos(true), token -> twoTokens.countDown());
        assertTrue(twoTokens.await(30, TimeUnit.SECONDS), "two tokens arrive");
        String requestId = stream.requestId().orElseThrow();
        stream.close();
        assertThrows(CancellationException.class, stream::await);
        assertTrue(stream.result().isCancelled());
        for (SwarmNode node : swarm.nodes()) {
            TestClusters.awaitTrue(WAIT, () -> node.shard().sessionCount() == 0,
                    () -> "sessions to close on " + node.layers() + ": " + node.shard().sessionCount());
        }
        PipelineStateStore states = new PipelineStateStore(swarm.nodes().getFirst().cluster().hazelcast(),
                Duration.ofMinutes(1));
        TestClusters.awaitTrue(WAIT, () -> states.find(requestId).map(s -> s.getString("status").equals("CANCELLED")
                || s.getString("status").equals("COMPLETED") || s.getString("status").equals("FAILED")).orElse(false),
                () -> "a final state: " + states.find(requestId));
        JsonObject state = states.find(requestId).orElseThrow();
        assertTrue(state.getInteger("tokens_generated") < maxTokens, "stopped early: " + state.encode());
    }
}
