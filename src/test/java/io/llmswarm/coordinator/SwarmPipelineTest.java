package io.llmswarm.coordinator;

import io.llmswarm.cli.NodeSettings;
import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.SamplingParams;
import io.llmswarm.cluster.SwarmNotReadyException;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.inference.FinishReason;
import io.llmswarm.inference.GenerationRequest;
import io.llmswarm.inference.GenerationResult;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Four swarm nodes in this JVM, each its own clustered Vert.x on loopback, serving layers 0-1,
 * 2-3, 4-5 and 6-7 of an 8-layer model: every request must give exactly the tokens the
 * single-process engine gives.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SwarmPipelineTest {

    @TempDir
    static Path dir;

    private static final String[] LAYERS = {"0-1", "2-3", "4-5", "6-7"};
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static Path file;
    private static LocalModel local;
    private static final List<SwarmNode> nodes = new ArrayList<>();

    @BeforeAll
    static void startSwarm() throws Exception {
        file = SwarmTestModel.write(dir, 8);
        local = SwarmTestModel.local(file);
        TestClusters cluster = new TestClusters(LAYERS.length);
        List<Future<SwarmNode>> starts = new ArrayList<>();
        for (int i = 0; i < LAYERS.length; i++) {
            starts.add(SwarmNode.start(new NodeSettings(file, LAYERS[i], cluster.member(i), 0, 1, 1L << 30)));
        }
        for (Future<SwarmNode> start : starts) {
            nodes.add(start.await(60, TimeUnit.SECONDS));
        }
        for (SwarmNode node : nodes) {
            TestClusters.awaitTrue(WAIT, () -> node.coordinator().status().isReady(),
                    () -> "readiness on " + node.nodeId() + ": " + node.coordinator().status().toJson());
        }
    }

    @AfterAll
    static void stopSwarm() throws Exception {
        for (SwarmNode node : nodes) {
            node.close(Duration.ofSeconds(10));
        }
        if (local != null) {
            local.close();
        }
    }

    private static GenerationOutcome run(SwarmNode via, String prompt, int maxTokens, SamplingConfig sampling,
                                         boolean ignoreEos) throws Exception {
        return via.coordinator().generate(GenerateRequest.text(prompt, maxTokens,
                new SamplingParams(sampling, ignoreEos, 0)), TokenListener.none()).outcome().await(60, TimeUnit.SECONDS);
    }

    private static void assertSameAsLocal(GenerationResult expected, GenerationOutcome actual) {
        assertArrayEquals(expected.promptTokens(), actual.promptTokens(), "prompt tokens");
        assertArrayEquals(expected.tokens(), actual.tokenIds(), "generated tokens");
        assertEquals(expected.finishReason(), actual.finishReason());
    }

    @Test
    @Order(1)
    void greedyTokensThroughFourShardsEqualTheSingleProcessEngine() throws Exception {
        GenerationResult expected = SwarmTestModel.generate(local, "Once upon a time", 40, SamplingConfig.greedy(), true);
        List<GeneratedToken> streamed = new ArrayList<>();
        GenerationOutcome outcome = nodes.get(0).coordinator().generate(GenerateRequest.text("Once upon a time", 40,
                new SamplingParams(SamplingConfig.greedy(), true, 2)), streamed::add).outcome().await(60, TimeUnit.SECONDS);
        assertSameAsLocal(expected, outcome);
        assertEquals(40, expected.tokens().length);
        assertEquals(4, outcome.timings().shards().size());
        assertEquals(outcome.tokens(), streamed);
        assertEquals(local.tokenizer().decode(expected.tokens()).strip(), outcome.text().strip());
        assertEquals(2, streamed.getFirst().topLogprobs().size());
        assertEquals(streamed.getFirst().id(), streamed.getFirst().topLogprobs().getFirst().token());
        for (ShardTiming timing : outcome.timings().shards()) {
            assertEquals(40, timing.steps(), "prompt pass plus one step per token after the first: " + timing);
        }
    }

    @Test
    @Order(2)
    void seededSamplingWithPenaltyEqualsTheSingleProcessEngine() throws Exception {
        SamplingConfig sampling = SamplingConfig.defaults(1234).withTemperature(1.1f).withRepetitionPenalty(1.15f, 16);
        GenerationResult expected = SwarmTestModel.generate(local, "The little dog", 30, sampling, false);
        assertSameAsLocal(expected, run(nodes.get(2), "The little dog", 30, sampling, false));
    }

    @Test
    @Order(3)
    void tenConcurrentRequestsEachEqualTheirRunAlone() throws Exception {
        List<Future<GenerationOutcome>> running = new ArrayList<>();
        List<GenerationResult> expected = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String prompt = "Request number " + i + " says";
            SamplingConfig sampling = i % 3 == 0 ? SamplingConfig.greedy()
                    : SamplingConfig.defaults(100 + i).withTemperature(0.5f + 0.1f * i);
            int maxTokens = 8 + 2 * i;
            expected.add(SwarmTestModel.generate(local, prompt, maxTokens, sampling, i % 2 == 0));
            running.add(nodes.get(i % nodes.size()).coordinator().generate(GenerateRequest.text(prompt, maxTokens,
                    new SamplingParams(sampling, i % 2 == 0, 0)), TokenListener.none()).outcome());
        }
        for (int i = 0; i < 10; i++) {
            assertSameAsLocal(expected.get(i), running.get(i).await(60, TimeUnit.SECONDS));
        }
    }

    @Test
    @Order(4)
    void stopsAtMaxTokensStopStringsAndAFullContext() throws Exception {
        GenerationOutcome five = run(nodes.get(1), "Once upon a time", 5, SamplingConfig.greedy(), true);
        assertEquals(5, five.tokens().size());
        assertEquals(FinishReason.LENGTH, five.finishReason());

        GenerationOutcome full = run(nodes.get(0), "Once upon a time", 40, SamplingConfig.greedy(), true);
        String stop = full.text().substring(full.text().length() / 2, full.text().length() / 2 + 3);
        GenerationOutcome stopped = nodes.get(0).coordinator().generate(GenerateRequest.text("Once upon a time", 40,
                new SamplingParams(SamplingConfig.greedy(), true, 0)).withStopStrings(List.of(stop)),
                TokenListener.none()).outcome().await(60, TimeUnit.SECONDS);
        assertEquals(FinishReason.STOP_STRING, stopped.finishReason());
        assertEquals(full.text().substring(0, full.text().indexOf(stop)), stopped.text());

        GenerationResult expected = SwarmTestModel.generate(local, "Once upon a time", 500, SamplingConfig.greedy(), true);
        GenerationOutcome overflow = run(nodes.get(3), "Once upon a time", 500, SamplingConfig.greedy(), true);
        assertEquals(FinishReason.CONTEXT_FULL, expected.finishReason());
        assertSameAsLocal(expected, overflow);
    }

    @Test
    @Order(5)
    void everyShardFreesTheSessionsAndThePipelineStateRecordsCompletion() throws Exception {
        Generation generation = nodes.get(0).coordinator().generate(GenerateRequest.text("Hello", 6,
                SamplingParams.greedy()), TokenListener.none());
        generation.outcome().await(60, TimeUnit.SECONDS);
        // The outcome comes once the final state is written: any member reads it at once.
        PipelineStateStore states = new PipelineStateStore(nodes.get(3).cluster().hazelcast(), Duration.ofMinutes(1));
        JsonObject state = states.find(generation.requestId()).orElseThrow();
        assertEquals("COMPLETED", state.getString("status"), state.encode());
        assertEquals(6, state.getInteger("tokens_generated"), state.encode());
        assertEquals(4, state.getJsonObject("shard_latencies").size(), state.encode());
        for (SwarmNode node : nodes) {
            TestClusters.awaitTrue(WAIT, () -> node.shard().sessionCount() == 0,
                    () -> "sessions to close on " + node.layers() + ": " + node.shard().sessionCount());
        }
    }

    @Test
    @Order(6)
    void cancelStopsAndReportsCancelled() throws Exception {
        List<Integer> seen = new ArrayList<>();
        Generation[] handle = new Generation[1];
        handle[0] = nodes.get(0).coordinator().generate(GenerateRequest.text("Once upon a time", 100,
                new SamplingParams(SamplingConfig.greedy(), true, 0)), token -> {
                    seen.add(token.id());
                    if (seen.size() == 3) {
                        handle[0].cancel();
                    }
                });
        GenerationOutcome outcome = handle[0].outcome().await(60, TimeUnit.SECONDS);
        assertEquals(FinishReason.CANCELLED, outcome.finishReason());
        assertEquals(3, outcome.tokens().size());
    }

    @Test
    @Order(6)
    void aFailingListenerFailsTheRequestAndFreesTheSessions() {
        Generation generation = nodes.get(1).coordinator().generate(GenerateRequest.text("Once upon a time", 20,
                new SamplingParams(SamplingConfig.greedy(), true, 0)), token -> {
                    if (token.index() == 2) {
                        throw new IllegalStateException("the client went away");
                    }
                });
        ExecutionException failure = assertThrows(ExecutionException.class,
                () -> generation.outcome().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS));
        assertTrue(failure.getCause().getMessage().contains("the client went away"), failure.getCause().getMessage());
        for (SwarmNode node : nodes) {
            TestClusters.awaitTrue(WAIT, () -> node.shard().sessionCount() == 0,
                    () -> "sessions to close on " + node.layers());
        }
    }

    @Test
    @Order(7)
    void jsonRequestOnTheEventBusReturnsTheDocumentsResponse() throws Exception {
        GenerationResult expected = SwarmTestModel.generate(local, "Once upon a time", 12, SamplingConfig.greedy(), false);
        var bus = nodes.get(3).cluster().vertx().eventBus();
        List<JsonObject> streamed = new CopyOnWriteArrayList<>();
        String streamTo = "test.stream." + UUID.randomUUID();
        bus.<JsonObject>consumer(streamTo, message -> streamed.add(message.body())).completion().await(10, TimeUnit.SECONDS);
        JsonObject reply = bus.<JsonObject>request(Addresses.generateFor(nodes.get(0).coordinator().model().fingerprint()),
                new JsonObject().put("prompt", "Once upon a time").put("max_tokens", 12).put("temperature", 0)
                        .put("stream_to", streamTo),
                new DeliveryOptions().setSendTimeout(60_000)).await(60, TimeUnit.SECONDS).body();
        int[] tokens = reply.getJsonArray("tokens").stream().mapToInt(t -> ((Number) t).intValue()).toArray();
        assertArrayEquals(expected.tokens(), tokens, reply.encode());
        JsonObject metadata = reply.getJsonObject("metadata");
        assertEquals(expected.tokens().length, metadata.getInteger("tokens_generated"));
        assertEquals(4, metadata.getJsonObject("shard_latencies").size());
        assertTrue(reply.getString("request_id").length() > 10);
        TestClusters.awaitTrue(WAIT, () -> streamed.size() == expected.tokens().length, () -> "streamed " + streamed);
        assertArrayEquals(expected.tokens(), streamed.stream().mapToInt(t -> t.getInteger("id")).toArray());
        assertEquals(reply.getString("result"), streamed.stream().map(t -> t.getString("text"))
                .reduce("", String::concat));
    }

    @Test
    @Order(8)
    void badRequestsAreRefusedWithA400NamingTheProblem() {
        var bus = nodes.get(1).cluster().vertx().eventBus();
        ExecutionException badToken = assertThrows(ExecutionException.class, () -> bus.request(Addresses.GENERATE,
                new JsonObject().put("prompt_tokens", new JsonArray().add(1).add(99_999))
                        .put("max_tokens", 3), new DeliveryOptions().setSendTimeout(30_000))
                .toCompletionStage().toCompletableFuture().get(40, TimeUnit.SECONDS));
        var reply = assertInstanceOf(ReplyException.class, badToken.getCause());
        assertEquals(CoordinatorVerticle.BAD_REQUEST, reply.failureCode());
        assertTrue(reply.getMessage().contains("token id 99999 is outside the vocabulary 0-399"), reply.getMessage());
        ExecutionException noPrompt = assertThrows(ExecutionException.class, () -> bus.request(Addresses.GENERATE,
                new JsonObject().put("max_tokens", 3), new DeliveryOptions().setSendTimeout(30_000))
                .toCompletionStage().toCompletableFuture().get(40, TimeUnit.SECONDS));
        assertTrue(noPrompt.getCause().getMessage().contains("\"prompt\""), noPrompt.getCause().getMessage());
    }

    /**
     * A conversation's second turn (the first turn's prompt, its answer and a new line, as chat
     * clients resend it) starts after the prefix the four shards kept and gives the single-process
     * engine's tokens, seeded and with a repetition penalty over the whole history; when a shard has
     * lost the prefix, the request starts over from position 0 and still gives them.
     */
    @Test
    @Order(50)
    void aFollowUpStartsAfterTheKeptPrefixAndGivesTheSameTokens() throws Exception {
        SamplingConfig sampling = SamplingConfig.defaults(77).withTemperature(0.8f).withRepetitionPenalty(1.2f, 64);
        String first = "Once upon a time there was a little dog who lived in a small house by the river, and every day";
        SwarmNode via = nodes.get(1);
        GenerationOutcome turn1 = run(via, first, 12, sampling, true);
        assertEquals(0, turn1.promptTokensReused());
        int[] fed = Arrays.copyOf(turn1.tokenIds(), 11); // the 12th token was sampled, never fed back
        int[] second = IntStream.concat(IntStream.concat(
                Arrays.stream(turn1.promptTokens()), Arrays.stream(fed)), IntStream.of(300, 301, 302))
                .toArray();
        GenerationResult expected = local.generator().generate("local",
                new GenerationRequest(second, 10, sampling, true), token -> true);

        long hitsBefore = nodes.getLast().shard().promptCache().hits();
        GenerationOutcome turn2 = via.coordinator().generate(GenerateRequest.tokens(second, 10,
                new SamplingParams(sampling, true, 0)), TokenListener.none()).outcome().await(60, TimeUnit.SECONDS);
        assertEquals(turn1.promptTokens().length + fed.length, turn2.promptTokensReused(), "turn 1's prompt and answer");
        assertArrayEquals(expected.tokens(), turn2.tokenIds());
        assertEquals(hitsBefore + 1, nodes.getLast().shard().promptCache().hits());

        // A shard that lost what it kept (here: all of it) refuses the prefix; the request computes it all.
        nodes.get(2).shard().promptCache().close();
        int[] third = IntStream.concat(Arrays.stream(second), IntStream.of(303)).toArray();
        GenerationResult expected3 = local.generator().generate("local",
                new GenerationRequest(third, 6, sampling, true), token -> true);
        GenerationOutcome turn3 = via.coordinator().generate(GenerateRequest.tokens(third, 6,
                new SamplingParams(sampling, true, 0)), TokenListener.none()).outcome().await(60, TimeUnit.SECONDS);
        assertEquals(0, turn3.promptTokensReused(), "the prefix was lost on the third shard");
        assertArrayEquals(expected3.tokens(), turn3.tokenIds());
        assertTrue(nodes.get(2).shard().promptCache().misses() >= 1);
    }

    @Test
    @Order(100)
    void aNodeThatLeavesTakesItsLayersAndNewRequestsNameThem() throws Exception {
        SwarmNode leaving = nodes.remove(2);
        leaving.close(Duration.ofSeconds(20));
        SwarmNode coordinatorNode = nodes.getFirst();
        TestClusters.awaitTrue(WAIT, () -> !coordinatorNode.coordinator().status().isReady(),
                () -> "readiness to turn false: " + coordinatorNode.coordinator().status().toJson());
        assertEquals("4-5", coordinatorNode.coordinator().status().missingLayers().stream()
                .map(Object::toString).reduce((a, b) -> a + "," + b).orElse(""));
        ExecutionException failure = assertThrows(ExecutionException.class, () -> coordinatorNode.coordinator()
                .generate(GenerateRequest.text("Hi", 4, SamplingParams.greedy()), TokenListener.none())
                .outcome().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
        assertInstanceOf(SwarmNotReadyException.class, failure.getCause());
        assertTrue(failure.getCause().getMessage().contains("layers 4-5"), failure.getCause().getMessage());
        assertTrue(Arrays.stream(LAYERS).anyMatch("4-5"::equals));
    }
}
