package io.llmswarm.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmswarm.engine.ForwardResult;
import io.llmswarm.engine.LayerRange;
import io.llmswarm.engine.ModelShard;
import io.llmswarm.engine.Session;
import io.llmswarm.engine.ShardEngine;
import io.llmswarm.engine.ShardInput;
import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.gguf.ModelMaker;
import io.llmswarm.gguf.ModelSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EngineLoopTest {
    private static final LayerRange ALL = LayerRange.parse("0-1");

    @TempDir
    static Path dir;
    private static ShardEngine engine;

    @BeforeAll
    static void load() {
        Path file = dir.resolve("loop.gguf");
        ModelMaker.write(ModelSpec.builder().blockCount(2).embeddingLength(64).feedForwardLength(128).headCount(4)
                .headCountKv(2).vocabSize(400).contextLength(2100).allTypes(GgmlType.Q8_0).outputStd(0.5f).seed(5)
                .build(), file);
        engine = new ShardEngine(ModelShard.load(GgufFile.open(file), ALL, layers -> { }),
                new ShardEngine.Options(2, 64, 256L << 20));
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private static ShardEngine.Step step(Session session, int[] tokens) {
        return new ShardEngine.Step(session, IntStream.range(session.length(), session.length() + tokens.length).toArray(),
                new ShardInput.Tokens(tokens), false, ALL);
    }

    private static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Greedy tokens of a session decoding alone, straight on the engine. */
    private static List<float[]> alone(int[] prompt, int steps) {
        List<float[]> logits = new ArrayList<>();
        try (Session session = engine.openSession("alone")) {
            int[] input = prompt;
            for (int i = 0; i < steps; i++) {
                float[] last = engine.forward(List.of(step(session, input))).getFirst().lastRow();
                logits.add(last);
                input = new int[] {argmax(last)};
            }
        }
        return logits;
    }

    @Test
    void sessionsDecodingAtOnceThroughTheLoopGetWhatTheyGetAlone() throws Exception {
        int sessions = 6;
        int steps = 8;
        try (EngineLoop loop = new EngineLoop(engine, 64, "test-loop");
             ExecutorService clients = Executors.newFixedThreadPool(sessions)) {
            List<Future<List<float[]>>> runs = new ArrayList<>();
            for (int s = 0; s < sessions; s++) {
                int[] prompt = {1, 10 + s, 20 + s, 30 + s};
                runs.add(clients.submit(() -> {
                    List<float[]> logits = new ArrayList<>();
                    try (Session session = engine.openSession("loop")) {
                        int[] input = prompt;
                        for (int i = 0; i < steps; i++) {
                            float[] last = loop.run(step(session, input)).lastRow();
                            logits.add(last);
                            input = new int[] {argmax(last)};
                        }
                    }
                    return logits;
                }));
            }
            for (int s = 0; s < sessions; s++) {
                List<float[]> expected = alone(new int[] {1, 10 + s, 20 + s, 30 + s}, steps);
                List<float[]> actual = runs.get(s).get();
                for (int i = 0; i < steps; i++) {
                    assertArrayEquals(expected.get(i), actual.get(i), 0f, "session " + s + " step " + i);
                }
            }
        }
    }

    /**
     * A 2,000-token prompt goes through in chunks of 64 rows, so another session's decode steps
     * run in between: several of them finish before the prompt does. The prompt's logits are
     * those of the prompt in one pass.
     */
    @Test
    void aLongPromptDoesNotStopAnotherSessionsTokens() throws Exception {
        int[] prompt = IntStream.range(0, 2000).map(i -> 1 + i % 399).toArray();
        float[] expected;
        try (Session session = engine.openSession("one-pass")) {
            expected = engine.forward(List.of(step(session, prompt))).getFirst().lastRow();
        }
        try (EngineLoop loop = new EngineLoop(engine, 64, "test-loop");
             Session reader = engine.openSession("reader"); Session talker = engine.openSession("talker")) {
            loop.run(step(talker, new int[] {1, 7, 8}));
            AtomicInteger talked = new AtomicInteger();
            CompletableFuture<ForwardResult> read = loop.submit(step(reader, prompt));
            int talkedWhenRead = -1;
            int[] input = {9};
            while (talkedWhenRead < 0) {
                ForwardResult next = loop.run(step(talker, input));
                talked.incrementAndGet();
                input = new int[] {argmax(next.lastRow())};
                if (read.isDone()) {
                    talkedWhenRead = talked.get();
                }
            }
            assertTrue(talkedWhenRead >= 3, "the talker took " + talkedWhenRead + " steps while the prompt was read");
            assertArrayEquals(expected, read.get().lastRow(), 0f);
            assertEquals(2000, reader.length());
            // The loop's counters: every row once, the prompt in at least 2000 / 64 turns.
            assertEquals(3 + 2000, loop.promptRows());
            assertEquals(talked.get(), loop.decodeRows());
            assertTrue(loop.turns() >= 2000 / 64, "turns: " + loop.turns());
        }
    }

    /** A step the engine refuses fails alone: the step batched with it runs. */
    @Test
    void aBadStepFailsAloneAndTheOthersRun() throws Exception {
        try (EngineLoop loop = new EngineLoop(engine, 64, "test-loop");
             Session busy = engine.openSession("busy"); Session bad = engine.openSession("bad");
             Session good = engine.openSession("good")) {
            // Keeps the loop busy, so that the next two wait together for one turn.
            CompletableFuture<ForwardResult> long1 = loop.submit(step(busy, IntStream.range(0, 600).map(i -> 1 + i % 399).toArray()));
            CompletableFuture<ForwardResult> skip = loop.submit(new ShardEngine.Step(bad, new int[] {5},
                    new ShardInput.Tokens(new int[] {3}), false, ALL));
            CompletableFuture<ForwardResult> fine = loop.submit(step(good, new int[] {1, 2, 3}));
            CompletionException e = assertThrows(CompletionException.class, skip::join);
            assertInstanceOf(IllegalArgumentException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("skips ahead"), e.getCause().getMessage());
            assertEquals(ForwardResult.Kind.LOGITS, fine.get().kind());
            assertEquals(3, good.length());
            long1.get();
            assertEquals(600, busy.length());
            assertEquals(0, bad.length());
        }
    }

    @Test
    void aClosedLoopRefusesSteps() {
        EngineLoop loop = new EngineLoop(engine, 64, "test-loop");
        loop.close();
        try (Session session = engine.openSession("late")) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> loop.run(step(session, new int[] {1})));
            assertEquals("the shard's engine loop has stopped", e.getMessage());
        }
    }
}
