package io.llmswarm.demo;

import io.llmswarm.engine.ForwardResult;
import io.llmswarm.engine.LayerRange;
import io.llmswarm.engine.ModelShard;
import io.llmswarm.engine.Session;
import io.llmswarm.engine.ShardEngine;
import io.llmswarm.engine.ShardInput;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.inference.GenerationRequest;
import io.llmswarm.llamacpp.LlamaCppModel;
import io.llmswarm.sampling.SamplingConfig;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo question on the shipped model: the Java engine, llama.cpp and four shards in a row agree. */
class DemoQuestionTest {

    static final String QUESTION = "What is artificial intelligence?";

    @Test
    void engineAndLlamaCppGiveTheSameSensibleAnswer() {
        String engine = DemoModel.answer(QUESTION);
        String llamaCpp = LlamaCppModel.load(DemoModel.path(), 2)
                .generateGreedy(DemoFormat.prompt(QUESTION), DemoModel.MAX_ANSWER_TOKENS, false);
        System.out.println("Q: " + QUESTION + "\nengine:    " + engine + "\nllama.cpp: " + llamaCpp);
        assertEquals(llamaCpp, engine);
        String lower = engine.toLowerCase(Locale.ROOT);
        assertTrue(lower.contains("computer") || lower.contains("intelligen"),
                "the answer should mention computers or intelligence: " + engine);
    }

    @Test
    void promptTokenizesAsInTraining() {
        // The trainer's tokens come from TokenizeCorpus with the test vocabulary; the model file's
        // own vocabulary must tokenize the prompt the same way.
        int[] training = DemoFormat.tokenizer().encode(DemoFormat.prompt(QUESTION), true, true);
        assertArrayEquals(training, DemoModel.promptTokens(QUESTION));
        assertEquals(1, training[0], "BOS first");
        assertEquals(1, Arrays.stream(training).filter(id -> id == 2).count(), "one </s> inside the prompt");
    }

    /** Layers 0-1, 2-3, 4-5, 6-7 as four engines, hidden states handed on: the same greedy tokens. */
    @Test
    void fourShardsGiveTheSameTokensAsOneEngine() {
        int[] prompt = DemoModel.promptTokens(QUESTION);
        int[] whole = DemoModel.engine().generator().generate("whole",
                new GenerationRequest(prompt, 24, SamplingConfig.greedy(), true), token -> true).tokens();
        int blocks = DemoModel.engine().config().blockCount();
        assertEquals(0, blocks % 4, "the demo model must split into four equal shards; it has " + blocks + " layers");
        ShardEngine[] shards = new ShardEngine[4];
        Session[] sessions = new Session[4];
        try {
            for (int i = 0; i < 4; i++) {
                LayerRange range = new LayerRange(i * blocks / 4, (i + 1) * blocks / 4 - 1);
                shards[i] = new ShardEngine(ModelShard.load(GgufFile.open(DemoModel.path()), range, layers -> { }),
                        new ShardEngine.Options(1, 64, 4L << 20));
                sessions[i] = shards[i].openSession("shard" + i);
            }
            int[] tokens = new int[whole.length];
            int[] ids = prompt;
            int position = 0;
            for (int step = 0; step < tokens.length; step++) {
                int[] positions = new int[ids.length];
                for (int k = 0; k < positions.length; k++) {
                    positions[k] = position + k;
                }
                ShardInput input = new ShardInput.Tokens(ids);
                ForwardResult result = null;
                for (int i = 0; i < 4; i++) {
                    result = shards[i].forward(sessions[i], positions, input, false);
                    input = new ShardInput.Hidden(result.data(), result.rows(), result.width());
                }
                assertEquals(ForwardResult.Kind.LOGITS, result.kind());
                tokens[step] = argmaxWithoutEos(result.lastRow());
                position += ids.length;
                ids = new int[] {tokens[step]};
            }
            assertArrayEquals(whole, tokens, "four shards: " + DemoModel.text(tokens) + "\none engine: " + DemoModel.text(whole));
        } finally {
            for (int i = 0; i < 4; i++) {
                if (sessions[i] != null) {
                    sessions[i].close();
                }
                if (shards[i] != null) {
                    shards[i].close();
                }
            }
        }
    }

    private static int argmaxWithoutEos(float[] logits) {
        int best = -1;
        for (int id = 0; id < logits.length; id++) {
            if (id != 2 && (best < 0 || logits[id] > logits[best])) {
                best = id;
            }
        }
        return best;
    }
}
