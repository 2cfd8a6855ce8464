package io.llmswarm.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelMakerTest {

    @TempDir
    Path dir;

    @Test
    void writesLlamaTensorNamesShapesAndMetadata() {
        ModelSpec spec = ModelSpec.tiny(GgmlType.Q8_0).toBuilder().embeddingLength(64).headCount(4).headCountKv(2)
                .feedForwardLength(96).blockCount(2).build();
        Path path = dir.resolve("tiny.gguf");
        ModelMaker.write(spec, path);
        try (GgufFile file = GgufFile.open(path)) {
            GgufMetadata m = file.metadata();
            assertEquals("llama", m.getString("general.architecture"));
            assertEquals(2, m.getInt("llama.block_count"));
            assertEquals(64, m.getInt("llama.embedding_length"));
            assertEquals(96, m.getInt("llama.feed_forward_length"));
            assertEquals(4, m.getInt("llama.attention.head_count"));
            assertEquals(2, m.getInt("llama.attention.head_count_kv"));
            assertEquals(16, m.getInt("llama.rope.dimension_count"));
            assertEquals(10000f, m.getFloat("llama.rope.freq_base"));
            assertEquals(1e-5f, m.getFloat("llama.attention.layer_norm_rms_epsilon"));
            assertEquals(7, m.getInt("general.file_type"));
            assertEquals(400, m.getStringArray("tokenizer.ggml.tokens").length);
            assertTrue(m.getBoolean("tokenizer.ggml.add_bos_token"));
            assertEquals(1, m.getInt("tokenizer.ggml.bos_token_id"));
            assertEquals(2, m.getInt("tokenizer.ggml.eos_token_id"));

            assertShape(file, "token_embd.weight", GgmlType.Q8_0, 64, 400);
            assertShape(file, "blk.1.attn_norm.weight", GgmlType.F32, 64);
            assertShape(file, "blk.1.attn_q.weight", GgmlType.Q8_0, 64, 64);
            assertShape(file, "blk.1.attn_k.weight", GgmlType.Q8_0, 64, 32);
            assertShape(file, "blk.1.attn_v.weight", GgmlType.Q8_0, 64, 32);
            assertShape(file, "blk.1.attn_output.weight", GgmlType.Q8_0, 64, 64);
            assertShape(file, "blk.1.ffn_norm.weight", GgmlType.F32, 64);
            assertShape(file, "blk.1.ffn_gate.weight", GgmlType.Q8_0, 64, 96);
            assertShape(file, "blk.1.ffn_up.weight", GgmlType.Q8_0, 64, 96);
            assertShape(file, "blk.1.ffn_down.weight", GgmlType.Q8_0, 96, 64);
            assertShape(file, "output_norm.weight", GgmlType.F32, 64);
            assertShape(file, "output.weight", GgmlType.Q8_0, 64, 400);
            assertEquals(2 + 2 * 9 + 1, file.tensors().size());
            assertFalse(file.findTensor("blk.0.attn_q.bias").isPresent());
        }
    }

    @Test
    void qwen2HasBiasesAndTiedEmbeddingsDropTheHead() {
        ModelSpec spec = ModelSpec.tiny(GgmlType.F16).toBuilder().architecture("qwen2").tiedEmbeddings(true).build();
        Path path = dir.resolve("qwen.gguf");
        ModelMaker.write(spec, path);
        try (GgufFile file = GgufFile.open(path)) {
            assertEquals("qwen2", file.metadata().getString("general.architecture"));
            assertEquals(2, file.metadata().getInt("qwen2.block_count"));
            assertShape(file, "blk.0.attn_q.bias", GgmlType.F32, 64);
            assertShape(file, "blk.0.attn_k.bias", GgmlType.F32, 32);
            assertShape(file, "blk.0.attn_v.bias", GgmlType.F32, 32);
            assertTrue(file.findTensor("output.weight").isEmpty());
        }
        assertThrows(IllegalArgumentException.class,
                () -> ModelSpec.tiny(GgmlType.F32).toBuilder().architecture("qwen2").attentionBias(false).build());
    }

    @Test
    void sameSeedSameFileOtherSeedOtherWeights() {
        ModelSpec spec = ModelSpec.tiny(GgmlType.Q4_0);
        Path a = dir.resolve("a.gguf");
        Path b = dir.resolve("b.gguf");
        Path c = dir.resolve("c.gguf");
        ModelMaker.write(spec, a);
        ModelMaker.write(spec, b);
        ModelMaker.write(spec.toBuilder().seed(2).build(), c);
        try (GgufFile fa = GgufFile.open(a); GgufFile fb = GgufFile.open(b); GgufFile fc = GgufFile.open(c)) {
            assertEquals(fa.fingerprint(), fc.fingerprint()); // same header: only the weights differ
            assertEquals(fa.tensorData("blk.0.attn_q.weight").mismatch(fb.tensorData("blk.0.attn_q.weight")), -1);
            assertNotEquals(-1, fa.tensorData("blk.0.attn_q.weight").mismatch(fc.tensorData("blk.0.attn_q.weight")));
        }
    }

    @Test
    void llama31RopeFactorsMatchTheConvertersFormula() {
        float[] factors = RopeScaling.llama31().factors(128, 500000f);
        assertEquals(64, factors.length);
        for (int i = 0; i <= 28; i++) {
            assertEquals(1f, factors[i], "dimension " + i);
        }
        for (int i = 35; i < 64; i++) {
            assertEquals(8f, factors[i], "dimension " + i);
        }
        // i = 32: wavelength 2*pi*sqrt(500000) = 4442.9; smooth = (8192/4442.9 - 1)/3 = 0.28127
        assertEquals(2.6946f, factors[32], 1e-3f);

        ModelSpec spec = ModelSpec.tiny(GgmlType.F32).toBuilder().ropeScaling(RopeScaling.llama31()).build();
        Path path = dir.resolve("rope.gguf");
        ModelMaker.write(spec, path);
        try (GgufFile file = GgufFile.open(path)) {
            assertShape(file, "rope_freqs.weight", GgmlType.F32, 8);
            float[] stored = new float[8];
            Quantizer.dequantize(GgmlType.F32, file.tensorData("rope_freqs.weight"), 0, stored, 0, 8);
            assertArrayEquals(RopeScaling.llama31().factors(16, 10000f), stored);
        }
    }

    @Test
    void syntheticVocabularyHasSpecialsBytesAndUniquePieces() {
        Vocabulary vocab = SyntheticVocabulary.sentencePiece(32000);
        assertEquals(32000, vocab.size());
        assertEquals("<unk>", vocab.tokens()[0]);
        assertEquals("<s>", vocab.tokens()[1]);
        assertEquals("</s>", vocab.tokens()[2]);
        assertEquals("<0x00>", vocab.tokens()[3]);
        assertEquals("<0x0A>", vocab.tokens()[13]);
        assertEquals("<0xFF>", vocab.tokens()[258]);
        assertEquals(Vocabulary.TYPE_BYTE, vocab.tokenTypes()[13]);
        assertEquals("\u2581", vocab.tokens()[259]);
        assertEquals(32000, new HashSet<>(Arrays.asList(vocab.tokens())).size());
        assertTrue(Arrays.asList(vocab.tokens()).contains("\u2581the"));
        assertArrayEquals(SyntheticVocabulary.sentencePiece(400).tokens(), Arrays.copyOf(vocab.tokens(), 400));
        assertThrows(IllegalArgumentException.class, () -> SyntheticVocabulary.sentencePiece(259));
    }

    @Test
    void kTypesNeedRowsOfWhole256Blocks() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelSpec.tiny(GgmlType.Q4_K).toBuilder().embeddingLength(64).build());
        assertTrue(e.getMessage().contains("256") && e.getMessage().contains("64"), e.getMessage());
        assertEquals(256, ModelSpec.tiny(GgmlType.Q6_K).embeddingLength());
    }

    private static void assertShape(GgufFile file, String name, GgmlType type, long... shape) {
        TensorInfo info = file.tensor(name);
        assertEquals(type, info.type(), name);
        assertArrayEquals(shape, info.shape(), name);
    }
}
