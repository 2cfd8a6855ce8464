package io.llmswarm.shard;

import io.llmswarm.cluster.Envelope;
import io.llmswarm.cluster.ExecuteTask;
import io.llmswarm.cluster.HiddenEncoding;
import io.llmswarm.cluster.SamplingParams;
import io.llmswarm.cluster.TaskInput;
import io.llmswarm.cluster.TaskParams;
import io.llmswarm.cluster.TaskReply;
import io.llmswarm.cluster.TaskResult;
import io.llmswarm.coordinator.SwarmTestModel;
import io.llmswarm.engine.LayerRange;
import io.llmswarm.engine.ModelShard;
import io.llmswarm.engine.ShardEngine;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.inference.GenerationResult;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shard service without Vert.x: two services over layers 0-1 and 2-3 of a 4-layer model. */
class ShardServiceTest {

    @TempDir
    static Path dir;

    private static Path file;
    private static ShardEngine firstEngine;
    private static ShardEngine lastEngine;
    private static GenerationResult expected;
    private static int[] prompt;

    @BeforeAll
    static void load() throws Exception {
        file = SwarmTestModel.write(dir, 4);
        try (LocalModel local = SwarmTestModel.local(file)) {
            expected = SwarmTestModel.generate(local, "Once upon a time", 6, SamplingConfig.greedy(), true);
            prompt = expected.promptTokens();
        }
        firstEngine = engine("0-1");
        lastEngine = engine("2-3");
    }

    @AfterAll
    static void close() {
        firstEngine.close();
        lastEngine.close();
    }

    private static ShardEngine engine(String layers) {
        return new ShardEngine(ModelShard.load(GgufFile.open(file), LayerRange.parse(layers), n -> { }),
                new ShardEngine.Options(1, 64, 16L << 20));
    }

    /** Every service a test opened; closed after it, so that no test's prompt cache holds another's KV budget. */
    private final List<ShardService> opened = new ArrayList<>();

    @AfterEach
    void closeServices() {
        opened.forEach(ShardService::close);
        assertEquals(0, firstEngine.kvCacheBudget().usedBytes(), "KV bytes left after every service closed");
        assertEquals(0, lastEngine.kvCacheBudget().usedBytes(), "KV bytes left after every service closed");
    }

    private ShardService service(ShardEngine engine, ShardService.Settings settings) {
        ShardService service = new ShardService(engine.shard().range().toString(), engine, id -> id == 2, settings);
        opened.add(service);
        return service;
    }

    /** No KV bytes held beyond what the prompt cache keeps of finished sessions. */
    private static void assertOnlyPromptCacheHeld(ShardService service) {
        assertEquals(service.promptCache().bytes(), service.engine().kvCacheBudget().usedBytes());
    }

    private static ExecuteTask task(String session, ShardService to, int position, TaskInput input) {
        boolean last = to.isFinalShard();
        return new ExecuteTask(Envelope.now(Envelope.EXECUTE_TASK, session, "test", to.shardId()),
                new TaskParams(session, to.shardId(), to.layers(), position, last,
                        new SamplingParams(SamplingConfig.greedy(), true, 0), HiddenEncoding.F32), input);
    }

    private static int step(ShardService first, ShardService last, String session, int position, int[] tokens) {
        TaskReply hidden = first.execute(task(session, first, position, TaskInput.tokens(tokens)));
        assertTrue(hidden.isOk(), hidden.error());
        TaskResult.Hidden h = (TaskResult.Hidden) hidden.result();
        TaskReply sampled = last.execute(task(session, last, position, new TaskInput(tokens, h.states(), h.width())));
        assertTrue(sampled.isOk(), sampled.error());
        return ((TaskResult.Sampled) sampled.result()).token();
    }

    @Test
    void twoShardsStepByStepSampleTheSingleProcessTokens() {
        ShardService first = service(firstEngine, ShardService.Settings.defaults());
        ShardService last = service(lastEngine, ShardService.Settings.defaults());
        int token = step(first, last, "s", 0, prompt);
        int position = prompt.length;
        for (int i = 0; i < expected.tokens().length; i++) {
            assertEquals(expected.tokens()[i], token, "token " + i);
            token = step(first, last, "s", position++, new int[] {token});
        }
        assertTrue(first.release("s"));
        assertTrue(last.release("s"));
        assertFalse(last.release("s"), "a second release is a no-op");
        assertOnlyPromptCacheHeld(first);
        assertOnlyPromptCacheHeld(last);
    }

    /**
     * Sixteen sessions at once through both shards' engine loops, each generating its tokens
     * while others prompt, decode or are released, a third of them released from another thread
     * in the middle of their generation: every session that ran to the end got the single
     * process's tokens, and when all are done no session and no KV byte is left on either shard.
     */
    @Test
    void sessionsReleasedUnderLoadLeaveNoKvBytes() throws Exception {
        ShardService first = service(firstEngine, ShardService.Settings.defaults());
        ShardService last = service(lastEngine, ShardService.Settings.defaults());
        int n = 16;
        ExecutorService pool = Executors.newFixedThreadPool(n + 1);
        CountDownLatch started = new CountDownLatch(n);
        List<Future<Boolean>> runs = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                String id = "load-" + i;
                runs.add(pool.submit(() -> {
                    int token = step(first, last, id, 0, prompt);
                    started.countDown();
                    int position = prompt.length;
                    for (int t = 0; t < expected.tokens().length; t++) {
                        assertEquals(expected.tokens()[t], token, id + " token " + t);
                        TaskReply hidden = first.execute(task(id, first, position, TaskInput.tokens(token)));
                        if (!hidden.isOk()) {
                            assertTrue(hidden.error().contains("not open here"), hidden.error());
                            return false; // released meanwhile
                        }
                        TaskResult.Hidden h = (TaskResult.Hidden) hidden.result();
                        TaskReply sampled = last.execute(task(id, last, position++,
                                new TaskInput(new int[] {token}, h.states(), h.width())));
                        if (!sampled.isOk()) {
                            assertTrue(sampled.error().contains("not open here"), sampled.error());
                            first.release(id);
                            return false;
                        }
                        token = ((TaskResult.Sampled) sampled.result()).token();
                    }
                    first.release(id);
                    last.release(id);
                    return true;
                }));
            }
            Future<?> releaser = pool.submit(() -> {
                started.await();
                for (int i = 0; i < n; i += 3) {
                    first.release("load-" + i);
                    last.release("load-" + i);
                }
                return null;
            });
            releaser.get(60, TimeUnit.SECONDS);
            int finished = 0;
            for (var run : runs) {
                finished += run.get(60, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertTrue(finished >= n - (n + 2) / 3, finished + " of " + n + " ran to the end");
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, first.sessionCount());
        assertEquals(0, last.sessionCount());
        assertOnlyPromptCacheHeld(first);
        assertOnlyPromptCacheHeld(last);
        first.close();
        last.close();
    }

    @Test
    void wrongRequestsAreRefusedNamingTheShardAndItsLayers() {
        ShardService first = service(firstEngine, ShardService.Settings.defaults());
        ShardService last = service(lastEngine, ShardService.Settings.defaults());
        TaskReply hiddenToFirst = first.execute(task("x", first, 0, new TaskInput(new int[] {1}, new float[64], 64)));
        assertEquals("shard 0-1 (layers 0-1): layers 0-1 embed token ids but it was sent hidden states",
                hiddenToFirst.error());
        TaskReply tokensToLast = last.execute(task("x", last, 0, TaskInput.tokens(1)));
        assertTrue(tokensToLast.error().contains("need hidden states"), tokensToLast.error());
        ExecuteTask wrongLayers = new ExecuteTask(Envelope.now(Envelope.EXECUTE_TASK, "x", "t", "2-3"),
                new TaskParams("x", "2-3", LayerRange.parse("2-2"), 0, true, SamplingParams.greedy(), HiddenEncoding.F32),
                new TaskInput(new int[] {1}, new float[64], 64));
        String notFinal = last.execute(wrongLayers).error();
        assertTrue(notFinal.contains("asked to sample after layers 2-2, which do not end the model"), notFinal);
        ExecuteTask outside = new ExecuteTask(Envelope.now(Envelope.EXECUTE_TASK, "x", "t", "2-3"),
                new TaskParams("x", "2-3", LayerRange.parse("1-3"), 0, true, SamplingParams.greedy(), HiddenEncoding.F32),
                new TaskInput(new int[] {1}, new float[64], 64));
        String notHeld = last.execute(outside).error();
        assertTrue(notHeld.contains("asked to run layers 1-3 but this shard holds 2-3"), notHeld);
        TaskReply unknown = first.execute(task("y", first, 5, TaskInput.tokens(1)));
        assertTrue(unknown.error().contains("session y is not open here"), unknown.error());
        assertEquals(0, first.sessionCount(), "a refused step opens no session");
        assertTrue(first.execute(task("z", first, 0, TaskInput.tokens(1, 2))).isOk());
        TaskReply skipAhead = first.execute(task("z", first, 5, TaskInput.tokens(1)));
        assertTrue(skipAhead.error().contains("skips ahead"), skipAhead.error());
        first.close();
    }

    @Test
    void hiddenStatesOfTheWrongWidthOrNotFiniteAreTheSendersFault() {
        ShardService last = service(lastEngine, ShardService.Settings.defaults());
        int width = lastEngine.config().embeddingLength();
        float[] nan = new float[width];
        nan[3] = Float.NaN;
        TaskReply notFinite = last.execute(task("n", last, 0, new TaskInput(new int[] {1}, nan, width)));
        assertEquals(TaskReply.INVALID_INPUT_PREFIX + "shard 2-3 (layers 2-3): hidden states containing NaN from test",
                notFinite.error());
        TaskReply narrow = last.execute(task("n", last, 0, new TaskInput(new int[] {1, 2}, new float[width], width / 2)));
        assertTrue(narrow.error().startsWith(TaskReply.INVALID_INPUT_PREFIX), narrow.error());
        assertTrue(narrow.error().contains((width / 2) + " wide where the model's are " + width), narrow.error());
        assertEquals(0, last.sessionCount(), "no session is left behind");
        last.close();
    }

    @Test
    void sessionsAreBoundedAndIdleOnesExpire() {
        ShardService first = service(firstEngine, new ShardService.Settings(1, Duration.ZERO));
        assertTrue(first.execute(task("a", first, 0, TaskInput.tokens(prompt))).isOk());
        assertEquals(0, first.freeSlots());
        TaskReply refused = first.execute(task("b", first, 0, TaskInput.tokens(prompt)));
        assertTrue(refused.error().contains("no free session slot"), refused.error());
        assertTrue(firstEngine.kvCacheBudget().usedBytes() > 0);
        assertEquals(1, first.expireIdle());
        assertEquals(0, first.sessionCount());
        assertEquals(1, first.promptCache().size(), "the expired session's KV is kept for reuse");
        assertOnlyPromptCacheHeld(first);
    }

    @Test
    void aFullContextIsReportedAsSuch() {
        ShardService first = service(firstEngine, ShardService.Settings.defaults());
        TaskReply full = first.execute(task("c", first, 0, TaskInput.tokens(new int[129])));
        assertTrue(full.error().startsWith("context_full"), full.error());
        first.close();
    }
}
