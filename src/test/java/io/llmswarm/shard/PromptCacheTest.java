package io.llmswarm.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmswarm.cluster.Envelope;
import io.llmswarm.cluster.ExecuteTask;
import io.llmswarm.cluster.HiddenEncoding;
import io.llmswarm.cluster.SamplingParams;
import io.llmswarm.cluster.TaskInput;
import io.llmswarm.cluster.TaskParams;
import io.llmswarm.cluster.TaskReply;
import io.llmswarm.cluster.TaskResult;
import io.llmswarm.engine.LayerRange;
import io.llmswarm.engine.ModelShard;
import io.llmswarm.engine.ShardEngine;
import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.gguf.ModelMaker;
import io.llmswarm.gguf.ModelSpec;
import io.llmswarm.sampling.SamplingConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Prompt-prefix caching on two shards (layers 0-1 and 2 of a 3-layer model): a conversation's
 * second turn that starts from the first turn's cached KV gives, bit for bit, the hidden states
 * and the seeded, repetition-penalised tokens of the same turn computed from position 0.
 */
class PromptCacheTest {

    @TempDir
    static Path dir;

    /** Seeded sampling with a repetition penalty: the last shard's history must hold the cached tokens too. */
    private static final SamplingParams SAMPLING = new SamplingParams(SamplingConfig.defaults(7)
            .withTemperature(0.9f).withRepetitionPenalty(1.3f, 64), true, 0);

    private static Path model(GgmlType type) {
        Path file = dir.resolve("prefix-" + type + ".gguf");
        if (!file.toFile().exists()) {
            boolean superBlocks = type.blockSize() == 256;
            ModelMaker.write(ModelSpec.builder().blockCount(3).embeddingLength(superBlocks ? 256 : 64)
                    .feedForwardLength(superBlocks ? 256 : 128).headCount(4).headCountKv(2).vocabSize(400)
                    .contextLength(256).allTypes(type).outputStd(0.5f).seed(33).build(), file);
        }
        return file;
    }

    /** A route of two services; the ones before the last pass hidden states on, as the relay does. */
    private record Route(ShardService first, ShardService last) implements AutoCloseable {
        static Route open(Path file, long kvBytes, int cacheEntries) {
            return new Route(service(file, "0-1", kvBytes, cacheEntries), service(file, "2-2", kvBytes, cacheEntries));
        }

        private static ShardService service(Path file, String layers, long kvBytes, int cacheEntries) {
            ShardEngine engine = new ShardEngine(ModelShard.load(GgufFile.open(file), LayerRange.parse(layers), n -> { }),
                    new ShardEngine.Options(1, 16, kvBytes));
            return new ShardService(layers, engine, id -> false,
                    new ShardService.Settings(8, Duration.ofMinutes(5), cacheEntries));
        }

        /** One step through both shards; the first shard's hidden states and the sampled token. */
        Hop step(String session, int position, int[] tokens, int[] prefix) {
            TaskReply hidden = first.execute(task(session, first, position, new TaskInput(tokens, null, 0, prefix)));
            if (!hidden.isOk()) {
                return new Hop(null, -1, hidden.error());
            }
            TaskResult.Hidden h = (TaskResult.Hidden) hidden.result();
            TaskReply sampled = last.execute(task(session, last, position,
                    new TaskInput(tokens, null, 0, prefix).withHidden(h.states(), h.width())));
            if (!sampled.isOk()) {
                return new Hop(h.states(), -1, sampled.error());
            }
            return new Hop(h.states(), ((TaskResult.Sampled) sampled.result()).token(), null);
        }

        /** A prompt (after an optional cached prefix) and then {@code count} decoded tokens; every step's hop. */
        List<Hop> generate(String session, int[] prompt, int[] prefix, int count) {
            List<Hop> hops = new ArrayList<>();
            Hop hop = step(session, prefix.length, prompt, prefix);
            hops.add(hop);
            int position = prefix.length + prompt.length;
            for (int i = 1; i < count && hop.error() == null; i++) {
                hop = step(session, position++, new int[] {hop.token()}, new int[0]);
                hops.add(hop);
            }
            return hops;
        }

        void release(String session) {
            first.release(session);
            last.release(session);
        }

        @Override
        public void close() {
            first.close();
            last.close();
            first.engine().close();
            last.engine().close();
        }
    }

    private record Hop(float[] hidden, int token, String error) { }

    private static ExecuteTask task(String session, ShardService to, int position, TaskInput input) {
        return new ExecuteTask(Envelope.now(Envelope.EXECUTE_TASK, session, "test", to.shardId()),
                new TaskParams(session, to.shardId(), to.layers(), position, to.isFinalShard(), SAMPLING,
                        HiddenEncoding.F32), input);
    }

    private static int[] tokens(Hop... hops) {
        return Arrays.stream(hops).mapToInt(Hop::token).toArray();
    }

    private static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }

    /**
     * Turn 1: a 40-token prompt and 6 tokens. Turn 2: its prompt is turn 1's prompt, the 5 tokens
     * it fed back, and 9 new ones; sent as a cached prefix of 45 and 9 tokens to compute, it gives
     * the same hidden states (bits) and tokens as a fresh route that computes all 54.
     */
    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q4_K", "Q5_K", "Q6_K"})
    void aCachedPrefixGivesTheBitsOfComputingIt(GgmlType type) {
        Path file = model(type);
        int[] firstPrompt = IntStream.range(0, 40).map(i -> 1 + (i * 37) % 390).toArray();
        try (Route cached = Route.open(file, 16L << 20, 8); Route fresh = Route.open(file, 16L << 20, 0)) {
            List<Hop> turn1 = cached.generate("turn-1", firstPrompt, new int[0], 6);
            cached.release("turn-1");
            assertEquals(1, cached.first().promptCache().size());
            int[] fedBack = tokens(turn1.subList(0, 5).toArray(Hop[]::new)); // the 6th was sampled, never fed
            int[] prefix = concat(firstPrompt, fedBack);
            int[] newTokens = {11, 12, 13, 201, 202, 203, 301, 302, 303};

            List<Hop> reused = cached.generate("turn-2", newTokens, prefix, 8);
            List<Hop> computed = fresh.generate("turn-2", concat(prefix, newTokens), new int[0], 8);
            for (int i = 0; i < 8; i++) {
                assertNull(reused.get(i).error(), reused.get(i).error());
                float[] all = computed.get(i).hidden();
                float[] tail = i == 0 ? Arrays.copyOfRange(all, prefix.length * (all.length / (prefix.length + 9)), all.length) : all;
                assertArrayEquals(tail, reused.get(i).hidden(), 0f, type + " step " + i + ": hidden states");
                assertEquals(computed.get(i).token(), reused.get(i).token(), type + " step " + i + ": token");
            }
            for (ShardService service : List.of(cached.first(), cached.last())) {
                assertEquals(1, service.promptCache().hits(), service.shardId());
                assertEquals(prefix.length, service.promptCache().tokensReused(), service.shardId());
            }
        }
    }

    /**
     * A prefix that no kept session holds (never computed, or evicted) is refused as
     * {@code prefix_lost} and opens nothing; the step from position 0 works on the same session id.
     */
    @Test
    void aLostPrefixIsRefusedAndTheStepFromZeroWorks() {
        int[] prompt = IntStream.range(0, 20).map(i -> 3 + i).toArray();
        try (Route route = Route.open(model(GgmlType.Q8_0), 16L << 20, 8)) {
            Hop lost = route.step("s", 10, Arrays.copyOfRange(prompt, 10, 20), Arrays.copyOf(prompt, 10));
            assertTrue(lost.error().startsWith(TaskReply.PREFIX_LOST_PREFIX), lost.error());
            assertTrue(lost.error().contains("holds 0 of them"), lost.error());
            assertEquals(0, route.first().sessionCount());
            assertEquals(1, route.first().promptCache().misses());

            Hop fromZero = route.step("s", 0, prompt, new int[0]);
            assertNull(fromZero.error(), fromZero.error());
            route.release("s");
            // A different token inside the prefix: not the cached conversation.
            int[] other = prompt.clone();
            other[4] = 99;
            Hop differs = route.step("t", 10, Arrays.copyOfRange(other, 10, 20), Arrays.copyOf(other, 10));
            assertTrue(differs.error().startsWith(TaskReply.PREFIX_LOST_PREFIX), differs.error());
            assertTrue(differs.error().contains("holds 4 of them"), differs.error());
            Hop same = route.step("u", 10, Arrays.copyOfRange(prompt, 10, 20), Arrays.copyOf(prompt, 10));
            assertNull(same.error(), same.error());
        }
    }

    /**
     * Kept sessions never cost a live one its room: with a KV budget for about two sessions, many
     * finished ones are kept and the oldest are evicted as new sessions need their bytes; every
     * session runs, and no bytes are held beyond the live sessions and the cache.
     */
    @Test
    void keptSessionsAreEvictedBeforeARequestIsRefused() {
        Path file = model(GgmlType.Q8_0);
        // 2 layers x 64 positions x kvDim 32 x 2 (K, V) x 2 bytes = 16 KiB a session on the first shard.
        long budget = 40L << 10;
        try (Route route = Route.open(file, budget, 8)) {
            for (int s = 0; s < 6; s++) {
                int base = 10 + 50 * s;
                int[] prompt = IntStream.range(0, 30).map(i -> base + i).toArray();
                List<Hop> hops = route.generate("s" + s, prompt, new int[0], 3);
                hops.forEach(hop -> assertNull(hop.error(), hop.error()));
                route.release("s" + s);
                assertEquals(route.first().promptCache().bytes(), route.first().engine().kvCacheBudget().usedBytes());
            }
            assertTrue(route.first().promptCache().evictions() >= 4, "evictions: " + route.first().promptCache().evictions());
            assertTrue(route.first().promptCache().size() >= 1);
        }
    }

    /** Keeping turn 2 of a conversation drops turn 1 (its tokens are a prefix of turn 2's). */
    @Test
    void aLongerTurnReplacesTheShorterOne() {
        try (Route route = Route.open(model(GgmlType.F32), 16L << 20, 8)) {
            int[] prompt = IntStream.range(0, 12).map(i -> 5 + i).toArray();
            List<Hop> turn1 = route.generate("a", prompt, new int[0], 2);
            route.release("a");
            int[] prefix = concat(prompt, new int[] {turn1.getFirst().token()});
            route.generate("b", new int[] {7, 8}, prefix, 2).forEach(hop -> assertNull(hop.error(), hop.error()));
            route.release("b");
            assertEquals(1, route.first().promptCache().size(), "turn 1's entry gave way to turn 2's");
            assertFalse(route.first().promptCache().bytes() == 0);
        }
    }
}
