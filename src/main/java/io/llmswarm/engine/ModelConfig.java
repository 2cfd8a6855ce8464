package io.llmswarm.engine;

import io.llmswarm.gguf.GgufException;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.gguf.GgufMetadata;

import java.util.Set;

/**
 * The hyper-parameters of a LLaMA-family model, read from GGUF metadata the way llama.cpp reads
 * them ({@code <arch>.block_count}, {@code <arch>.attention.head_count}, …).
 */
public record ModelConfig(
        String architecture,
        int blockCount,
        int embeddingLength,
        int feedForwardLength,
        int headCount,
        int headCountKv,
        int headDim,
        int vocabularySize,
        int contextLength,
        float rmsEpsilon,
        float ropeFreqBase,
        float ropeFreqScale,
        int ropeDimensions,
        RopeStyle ropeStyle) {

    /** Architectures this engine runs, and the rope style llama.cpp uses for each. */
    public static final Set<String> ARCHITECTURES = Set.of("llama", "mistral", "qwen2");

    public ModelConfig {
        if (headCount <= 0 || headCountKv <= 0 || headCount % headCountKv != 0) {
            throw new IllegalArgumentException("head_count " + headCount
                    + " must be a positive multiple of head_count_kv " + headCountKv);
        }
        if (ropeDimensions <= 0 || ropeDimensions > headDim || ropeDimensions % 2 != 0) {
            throw new IllegalArgumentException("rope dimension count " + ropeDimensions
                    + " must be even and at most the head size " + headDim);
        }
    }

    public int kvDim() {
        return headCountKv * headDim;
    }

    public int queryDim() {
        return headCount * headDim;
    }

    /** Query heads sharing one key/value head. */
    public int groupSize() {
        return headCount / headCountKv;
    }

    public static ModelConfig from(GgufFile file) {
        GgufMetadata meta = file.metadata();
        String arch = meta.getString("general.architecture");
        if (!ARCHITECTURES.contains(arch)) {
            throw new GgufException(file.path() + ": unsupported architecture '" + arch
                    + "'; this engine runs " + ARCHITECTURES);
        }
        int embd = meta.getInt(arch + ".embedding_length");
        int heads = meta.getInt(arch + ".attention.head_count");
        int headsKv = meta.getIntOrDefault(arch + ".attention.head_count_kv", heads);
        int headDim = meta.getIntOrDefault(arch + ".attention.key_length", embd / heads);
        int valueDim = meta.getIntOrDefault(arch + ".attention.value_length", headDim);
        if (valueDim != headDim) {
            throw new GgufException(file.path() + ": key length " + headDim + " and value length "
                    + valueDim + " differ; this engine needs them equal");
        }
        int vocab = meta.contains(arch + ".vocab_size")
                ? meta.getInt(arch + ".vocab_size")
                : meta.getStringArray("tokenizer.ggml.tokens").length;
        String scaling = meta.getStringOrDefault(arch + ".rope.scaling.type", "none");
        if (!Set.of("none", "linear", "llama3").contains(scaling)) {
            throw new GgufException(file.path() + ": rope scaling '" + scaling
                    + "' is not supported (supported: none, linear, llama3)");
        }
        float ropeScale = meta.getFloatOrDefault(arch + ".rope.scaling.factor",
                meta.getFloatOrDefault(arch + ".rope.scale_linear", 0f));
        return new ModelConfig(
                arch,
                meta.getInt(arch + ".block_count"),
                embd,
                meta.getInt(arch + ".feed_forward_length"),
                heads,
                headsKv,
                headDim,
                vocab,
                meta.getInt(arch + ".context_length"),
                meta.getFloatOrDefault(arch + ".attention.layer_norm_rms_epsilon", 1e-5f),
                meta.getFloatOrDefault(arch + ".rope.freq_base", 10000f),
                ropeScale == 0f ? 1f : 1f / ropeScale,
                meta.getIntOrDefault(arch + ".rope.dimension_count", headDim),
                arch.equals("qwen2") ? RopeStyle.NEOX : RopeStyle.NORMAL);
    }
}
