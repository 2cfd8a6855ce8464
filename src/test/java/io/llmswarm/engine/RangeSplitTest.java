package io.llmswarm.engine;

import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.gguf.ModelMaker;
import io.llmswarm.gguf.ModelSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Running a model as four shards in a row, hidden states passed between them, equals running it whole. */
class RangeSplitTest {

    private static final ShardEngine.Options OPTIONS = new ShardEngine.Options(2, 16, 64L << 20);

    @Test
    void fourShardsGiveBitIdenticalLogitsToTheWholeModel(@TempDir Path dir) {
        Path file = dir.resolve("deep.gguf");
        ModelMaker.write(ModelSpec.builder().blockCount(32).embeddingLength(64).feedForwardLength(128).headCount(4)
                .headCountKv(2).vocabSize(400).contextLength(128).allTypes(GgmlType.Q8_0).outputStd(0.5f).seed(3)
                .build(), file);
        int[] prompt = {1, 300, 301, 302, 17, 42, 99};
        List<ShardEngine> shards = new ArrayList<>();
        try (ShardEngine whole = engine(file, "0-31")) {
            for (String range : List.of("0-7", "8-15", "16-23", "24-31")) {
                shards.add(engine(file, range));
            }
            Session wholeSession = whole.openSession("whole");
            List<Session> sessions = shards.stream().map(s -> s.openSession("split")).toList();

            ShardInput input = new ShardInput.Tokens(prompt);
            int[] positions = EngineFidelityTest.consecutive(0, prompt.length);
            for (int step = 0; step < 12; step++) {
                ForwardResult expected = whole.forward(wholeSession, positions, input, true);
                ForwardResult actual = throughShards(shards, sessions, positions, input);
                assertEquals(ForwardResult.Kind.LOGITS, actual.kind());
                assertArrayEquals(expected.data(), actual.data(), 0f, "logits differ at step " + step);
                int next = EngineFidelityTest.argmax(expected.lastRow());
                input = new ShardInput.Tokens(new int[] {next});
                positions = new int[] {wholeSession.length()};
            }
        } finally {
            shards.forEach(ShardEngine::close);
        }
    }

    /**
     * What a fail-over replay relies on: the tokens of a session sent again in one pass (prompt and
     * generated tokens together) give bit for bit the hidden states and logits they gave when
     * they came token by token, for every weight type the kernels batch.
     */
    @Test
    void aReplayInOnePassEqualsTheTokensOneByOne(@TempDir Path dir) {
        for (GgmlType type : List.of(GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.F16)) {
            Path file = dir.resolve("replay-" + type + ".gguf");
            boolean superBlocks = type.blockSize() == 256;
            ModelMaker.write(ModelSpec.builder().blockCount(4).embeddingLength(superBlocks ? 256 : 64)
                    .feedForwardLength(superBlocks ? 256 : 128).headCount(4).headCountKv(2).vocabSize(400)
                    .contextLength(128).allTypes(type).outputStd(0.5f).seed(9).build(), file);
            int[] history = {1, 300, 301, 302, 17, 42, 99, 5, 6, 7, 250, 251, 8};
            try (ShardEngine engine = engine(file, "0-3")) {
                Session stepwise = engine.openSession("stepwise");
                float[][] expected = new float[history.length][];
                expected[0] = engine.forward(stepwise, new int[] {0}, new ShardInput.Tokens(new int[] {history[0]}), true)
                        .data();
                for (int i = 1; i < history.length; i++) {
                    expected[i] = engine.forward(stepwise, new int[] {i}, new ShardInput.Tokens(new int[] {history[i]}),
                            true).data();
                }
                Session replay = engine.openSession("replay");
                ForwardResult all = engine.forward(replay, EngineFidelityTest.consecutive(0, history.length),
                        new ShardInput.Tokens(history), true);
                int vocab = engine.config().vocabularySize();
                for (int i = 0; i < history.length; i++) {
                    float[] row = Arrays.copyOfRange(all.data(), i * vocab, (i + 1) * vocab);
                    assertArrayEquals(expected[i], row, 0f, type + ": logits of token " + i + " differ");
                }
            }
        }
    }

    @Test
    void aShardRunsASubSpanOfItsLayersForARoute(@TempDir Path dir) {
        Path file = dir.resolve("overlap.gguf");
        ModelMaker.write(ModelSpec.builder().blockCount(8).embeddingLength(64).feedForwardLength(128).headCount(4)
                .headCountKv(2).vocabSize(400).contextLength(128).allTypes(GgmlType.Q8_0).outputStd(0.5f).seed(5)
                .build(), file);
        int[] prompt = {1, 300, 301, 302};
        // Overlapping holders 0-5 and 3-7: a route runs 0-5 on the first, then only 6-7 on the second.
        try (ShardEngine whole = engine(file, "0-7"); ShardEngine first = engine(file, "0-5");
             ShardEngine second = engine(file, "3-7")) {
            Session w = whole.openSession("w");
            Session a = first.openSession("a");
            Session b = second.openSession("b");
            ShardInput input = new ShardInput.Tokens(prompt);
            int[] positions = EngineFidelityTest.consecutive(0, prompt.length);
            for (int step = 0; step < 6; step++) {
                ForwardResult expected = whole.forward(w, positions, input, false);
                ForwardResult hidden = first.forward(a, positions, input, false);
                ForwardResult actual = second.forward(b, positions,
                        new ShardInput.Hidden(hidden.data(), hidden.rows(), hidden.width()), false, LayerRange.parse("6-7"));
                assertArrayEquals(expected.data(), actual.data(), 0f, "logits differ at step " + step);
                input = new ShardInput.Tokens(new int[] {EngineFidelityTest.argmax(expected.lastRow())});
                positions = new int[] {w.length()};
            }
            var outside = assertThrows(IllegalArgumentException.class, () -> second.forward(b, new int[] {0},
                    new ShardInput.Tokens(new int[] {1}), false, LayerRange.parse("0-7")));
            assertTrue(outside.getMessage().contains("3-7"), outside.getMessage());
        }
    }

    @Test
    void shardsTakeOnlyTheInputTheirPlaceAllows(@TempDir Path dir) {
        Path file = dir.resolve("small.gguf");
        ModelMaker.write(ModelSpec.tiny(GgmlType.Q8_0).toBuilder().blockCount(4).build(), file);
        try (ShardEngine first = engine(file, "0-1"); ShardEngine second = engine(file, "2-3")) {
            assertTrue(first.shard().hasEmbedding());
            assertFalse(first.shard().hasOutput());
            assertTrue(second.shard().hasOutput());
            Session a = first.openSession("a");
            Session b = second.openSession("b");
            var wrongInput = assertThrows(IllegalArgumentException.class,
                    () -> second.forward(b, new int[] {0}, new ShardInput.Tokens(new int[] {1}), false));
            assertTrue(wrongInput.getMessage().contains("hidden states"), wrongInput.getMessage());
            var narrow = assertThrows(IllegalArgumentException.class,
                    () -> second.forward(b, new int[] {0}, new ShardInput.Hidden(new float[3], 1, 3), false));
            assertTrue(narrow.getMessage().contains("wide"), narrow.getMessage());
            float[] nan = new float[first.config().embeddingLength()];
            nan[5] = Float.NaN;
            assertThrows(IllegalArgumentException.class,
                    () -> second.forward(b, new int[] {0}, new ShardInput.Hidden(nan, 1, nan.length), false));
            var badToken = assertThrows(IllegalArgumentException.class,
                    () -> first.forward(a, new int[] {0}, new ShardInput.Tokens(new int[] {100_000}), false));
            assertTrue(badToken.getMessage().contains("vocabulary"), badToken.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> first.forward(a, new int[] {3}, new ShardInput.Tokens(new int[] {1}), false));
            ForwardResult hidden = first.forward(a, new int[] {0, 1}, new ShardInput.Tokens(new int[] {1, 2}), false);
            assertEquals(ForwardResult.Kind.HIDDEN, hidden.kind());
            assertEquals(2, hidden.rows());
            assertEquals(first.config().embeddingLength(), hidden.width());
        }
    }

    private static ForwardResult throughShards(List<ShardEngine> shards, List<Session> sessions, int[] positions,
                                               ShardInput input) {
        ForwardResult result = null;
        ShardInput next = input;
        for (int i = 0; i < shards.size(); i++) {
            result = shards.get(i).forward(sessions.get(i), positions, next, true);
            next = new ShardInput.Hidden(result.data(), result.rows(), result.width());
        }
        return result;
    }

    private static ShardEngine engine(Path file, String range) {
        return new ShardEngine(ModelShard.load(GgufFile.open(file), LayerRange.parse(range), layers -> { }), OPTIONS);
    }
}
