package io.llmswarm.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.zip.GZIPInputStream;

/** The real vocabularies written by tools/extract-vocabularies.mjs, loaded once per JVM. */
final class TestVocabularies {
    private static Vocabulary llama2;
    private static Vocabulary llama3;
    private static Vocabulary qwen3;

    private TestVocabularies() {
    }

    /** LLaMA-2 / TinyLlama: SentencePiece, 32000 tokens. */
    static synchronized Vocabulary llama2() {
        if (llama2 == null) {
            JsonNode json = read("llama2-spm.json.gz");
            llama2 = new Vocabulary("llama", "default", strings(json.get("tokens")), floats(json.get("scores")),
                    ints(json.get("types")), null, SpecialTokens.sentencePieceDefaults());
        }
        return llama2;
    }

    /** Llama 3: byte-level BPE, 128256 tokens, 280147 merges; EOS is &lt;|eot_id|&gt; as in the instruct models. */
    static synchronized Vocabulary llama3() {
        if (llama3 == null) {
            JsonNode json = read("llama3-bpe.json.gz");
            llama3 = new Vocabulary("gpt2", "llama-bpe", strings(json.get("tokens")), null, ints(json.get("types")),
                    strings(json.get("merges")), new SpecialTokens(128000, 128009, -1, -1, true, false, false));
        }
        return llama3;
    }

    /** Qwen3: byte-level BPE with the Qwen2 pre-tokenizer, 151669 tokens (user-defined ones among them), no BOS added. */
    static synchronized Vocabulary qwen3() {
        if (qwen3 == null) {
            JsonNode json = read("qwen3-bpe.json.gz");
            qwen3 = new Vocabulary("gpt2", "qwen2", strings(json.get("tokens")), null, ints(json.get("types")),
                    strings(json.get("merges")), new SpecialTokens(151643, 151645, -1, -1, false, false, false));
        }
        return qwen3;
    }

    /** The same vocabulary under another pre-tokenizer name. */
    static Vocabulary withPreTokenizer(Vocabulary vocabulary, String pre) {
        return new Vocabulary(vocabulary.model(), pre, vocabulary.tokens(), vocabulary.scores(), vocabulary.tokenTypes(),
                vocabulary.merges(), vocabulary.specialTokens());
    }

    private static JsonNode read(String name) {
        try (InputStream in = TestVocabularies.class.getResourceAsStream("/tokenizers/" + name)) {
            if (in == null) {
                throw new IllegalStateException("test resource /tokenizers/" + name + " is missing: run tools/extract-vocabularies.mjs");
            }
            return new ObjectMapper().readTree(new GZIPInputStream(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String[] strings(JsonNode array) {
        String[] result = new String[array.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = array.get(i).asText();
        }
        return result;
    }

    private static float[] floats(JsonNode array) {
        float[] result = new float[array.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = (float) array.get(i).asDouble();
        }
        return result;
    }

    private static int[] ints(JsonNode array) {
        int[] result = new int[array.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = array.get(i).asInt();
        }
        return result;
    }
}
