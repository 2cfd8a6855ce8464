package io.llmswarm.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.gguf.ModelMaker;
import io.llmswarm.gguf.ModelSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Several sessions' steps in one forward pass give each session bit for bit what it gets alone:
 * the matrix products are shared, RoPE, the KV cache and attention are per row.
 */
class BatchedForwardTest {

    /** Chunks of 5 rows, so that batches cross chunk borders in the middle of a step. */
    private static final ShardEngine.Options OPTIONS = new ShardEngine.Options(2, 5, 64L << 20);

    @TempDir
    static Path dir;

    private static Path model(GgmlType type) {
        Path file = dir.resolve("batched-" + type + ".gguf");
        if (!file.toFile().exists()) {
            boolean superBlocks = type.blockSize() == 256;
            ModelMaker.write(ModelSpec.builder().blockCount(3).embeddingLength(superBlocks ? 256 : 64)
                    .feedForwardLength(superBlocks ? 256 : 128).headCount(4).headCountKv(2).vocabSize(400)
                    .contextLength(128).allTypes(type).outputStd(0.5f).seed(21).build(), file);
        }
        return file;
    }

    private static ShardEngine engine(Path file, String range) {
        return new ShardEngine(ModelShard.load(GgufFile.open(file), LayerRange.parse(range), layers -> { }), OPTIONS);
    }

    /**
     * Three sessions decode greedily, each first alone and then all together in one pass a step
     * (one of them still reading its prompt when the others already decode): the same logits
     * every step, so the same tokens, and the same for seeded sampling, which sees only logits.
     */
    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q4_K", "Q5_K", "Q6_K"})
    void sessionsBatchedEqualEachSessionAlone(GgmlType type) {
        int[][] prompts = {{1, 300, 301, 302, 17, 42, 99}, {1, 5}, {1, 250, 251, 252, 253, 254, 255, 256, 257, 258, 259}};
        int steps = 6;
        try (ShardEngine engine = engine(model(type), "0-2")) {
            List<List<float[]>> alone = new ArrayList<>();
            for (int s = 0; s < prompts.length; s++) {
                try (Session session = engine.openSession("alone-" + s)) {
                    alone.add(greedy(engine, session, prompts[s], steps));
                }
            }
            List<Session> sessions = new ArrayList<>();
            for (int s = 0; s < prompts.length; s++) {
                sessions.add(engine.openSession("batched-" + s));
            }
            int[][] inputs = prompts.clone();
            for (int step = 0; step < steps; step++) {
                List<ShardEngine.Step> batch = new ArrayList<>();
                for (int s = 0; s < prompts.length; s++) {
                    Session session = sessions.get(s);
                    batch.add(new ShardEngine.Step(session, EngineFidelityTest.consecutive(session.length(), inputs[s].length),
                            new ShardInput.Tokens(inputs[s]), false, LayerRange.parse("0-2")));
                }
                List<ForwardResult> results = engine.forward(batch);
                for (int s = 0; s < prompts.length; s++) {
                    float[] logits = results.get(s).lastRow();
                    assertArrayEquals(alone.get(s).get(step), logits, 0f, type + " session " + s + " step " + step);
                    inputs[s] = new int[] {EngineFidelityTest.argmax(logits)};
                }
            }
            sessions.forEach(Session::close);
        }
    }

    /** A middle shard (hidden states in and out) batches the same way. */
    @Test
    void hiddenStatesOfAMiddleShardBatchedEqualAlone() {
        Path file = model(GgmlType.Q8_0);
        try (ShardEngine first = engine(file, "0-0"); ShardEngine middle = engine(file, "1-1")) {
            int[][] prompts = {{1, 300, 301}, {1, 5, 6, 7, 8, 9, 10}};
            List<ForwardResult> hidden = new ArrayList<>();
            List<float[]> alone = new ArrayList<>();
            for (int s = 0; s < prompts.length; s++) {
                int[] positions = EngineFidelityTest.consecutive(0, prompts[s].length);
                ForwardResult h = first.forward(first.openSession("f" + s), positions, new ShardInput.Tokens(prompts[s]), false);
                hidden.add(h);
                try (Session session = middle.openSession("alone-" + s)) {
                    alone.add(middle.forward(session, positions,
                            new ShardInput.Hidden(h.data(), h.rows(), h.width()), false).data());
                }
            }
            List<ShardEngine.Step> batch = new ArrayList<>();
            for (int s = 0; s < prompts.length; s++) {
                ForwardResult h = hidden.get(s);
                batch.add(new ShardEngine.Step(middle.openSession("b" + s), EngineFidelityTest.consecutive(0, prompts[s].length),
                        new ShardInput.Hidden(h.data(), h.rows(), h.width()), false, LayerRange.parse("1-1")));
            }
            List<ForwardResult> results = middle.forward(batch);
            for (int s = 0; s < prompts.length; s++) {
                assertEquals(ForwardResult.Kind.HIDDEN, results.get(s).kind());
                assertArrayEquals(alone.get(s), results.get(s).data(), 0f, "session " + s);
            }
        }
    }

    @Test
    void aSessionTwiceInOneBatchIsRefusedBeforeAnythingRuns() {
        try (ShardEngine engine = engine(model(GgmlType.Q8_0), "0-2"); Session session = engine.openSession("twice")) {
            ShardEngine.Step step = new ShardEngine.Step(session, new int[] {0}, new ShardInput.Tokens(new int[] {1}), false,
                    LayerRange.parse("0-2"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> engine.forward(List.of(step, step)));
            assertEquals("session twice appears twice in one batch", e.getMessage());
            assertEquals(0, session.length());
        }
    }

    /** Greedy decoding alone: the logits of the last row at each of {@code steps} steps. */
    private static List<float[]> greedy(ShardEngine engine, Session session, int[] prompt, int steps) {
        List<float[]> logits = new ArrayList<>();
        int[] input = prompt;
        for (int step = 0; step < steps; step++) {
            float[] last = engine.forward(session, EngineFidelityTest.consecutive(session.length(), input.length),
                    new ShardInput.Tokens(input), false).lastRow();
            logits.add(last);
            input = new int[] {EngineFidelityTest.argmax(last)};
        }
        return logits;
    }
}
