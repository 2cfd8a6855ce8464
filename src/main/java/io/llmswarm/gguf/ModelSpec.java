package io.llmswarm.gguf;

import java.util.Objects;

/**
 * The shape and contents of a synthetic LLaMA-family model for {@link ModelMaker}: random weights
 * (seeded, Gaussian), real tensor names and metadata, loadable by llama.cpp. Build one with
 * {@link #builder()} or start from a preset and change it with {@link #toBuilder()}.
 *
 * @param name {@code general.name}
 * @param architecture "llama" (RoPE on adjacent pairs) or "qwen2" (RoPE on halves, NEOX style)
 * @param blockCount transformer layers
 * @param embeddingLength model width
 * @param feedForwardLength SwiGLU hidden width
 * @param headCount query heads
 * @param headCountKv key/value heads (grouped-query attention when fewer than headCount)
 * @param vocabSize tokens; must match the vocabulary's size when one is given
 * @param contextLength {@code context_length}
 * @param ropeFreqBase RoPE theta
 * @param rmsEps RMSNorm epsilon
 * @param weightType type of the 2-D layer weights
 * @param embeddingType type of {@code token_embd.weight}
 * @param outputType type of {@code output.weight}
 * @param tiedEmbeddings when true there is no {@code output.weight}: the head reuses the embedding
 * @param attentionBias whether to write {@code attn_q/k/v.bias} (qwen2 requires them)
 * @param ropeScaling Llama 3.1 scaling written as {@code rope_freqs.weight}, or null
 * @param seed seed of all random values
 * @param weightStd standard deviation of layer weights and biases
 * @param embeddingStd standard deviation of the token embedding
 * @param outputStd standard deviation of the output head (larger gives peakier logits)
 * @param vocabulary the tokenizer, or null for {@link SyntheticVocabulary#sentencePiece}
 */
public record ModelSpec(String name, String architecture, int blockCount, int embeddingLength, int feedForwardLength,
        int headCount, int headCountKv, int vocabSize, int contextLength, float ropeFreqBase, float rmsEps,
        GgmlType weightType, GgmlType embeddingType, GgmlType outputType, boolean tiedEmbeddings, boolean attentionBias,
        RopeScaling ropeScaling, long seed, float weightStd, float embeddingStd, float outputStd, Vocabulary vocabulary) {

    public ModelSpec {
        Objects.requireNonNull(architecture, "architecture");
        if (!architecture.equals("llama") && !architecture.equals("qwen2")) {
            throw new IllegalArgumentException("architecture must be llama or qwen2, was " + architecture);
        }
        positive("blockCount", blockCount);
        positive("embeddingLength", embeddingLength);
        positive("feedForwardLength", feedForwardLength);
        positive("headCount", headCount);
        positive("headCountKv", headCountKv);
        positive("contextLength", contextLength);
        if (embeddingLength % headCount != 0 || headCount % headCountKv != 0) {
            throw new IllegalArgumentException("embeddingLength " + embeddingLength + " must split into " + headCount
                    + " heads, and the heads into " + headCountKv + " key/value groups");
        }
        if (headDim(embeddingLength, headCount) % 2 != 0) {
            throw new IllegalArgumentException("the head dimension must be even for RoPE");
        }
        if (vocabulary != null && vocabulary.size() != vocabSize) {
            throw new IllegalArgumentException("vocabSize " + vocabSize + " but the vocabulary has " + vocabulary.size());
        }
        if (architecture.equals("qwen2") && !attentionBias) {
            throw new IllegalArgumentException("qwen2 models have attention biases: set attentionBias");
        }
        if (ropeScaling != null && !architecture.equals("llama")) {
            throw new IllegalArgumentException("llama.cpp reads rope_freqs.weight only for llama models, not "
                    + architecture);
        }
        requireFits("weightType", weightType, embeddingLength, feedForwardLength);
        requireFits("embeddingType", embeddingType, embeddingLength);
        requireFits("outputType", outputType, embeddingLength);
    }

    /** Per-head width. */
    public int headDim() {
        return headDim(embeddingLength, headCount);
    }

    /** Width of the keys (and values) of all KV heads together. */
    public int kvWidth() {
        return headDim() * headCountKv;
    }

    /** The vocabulary to write: the given one or the synthetic one of {@code vocabSize}. */
    public Vocabulary vocabularyOrDefault() {
        return vocabulary != null ? vocabulary : SyntheticVocabulary.sentencePiece(vocabSize);
    }

    /**
     * A small llama model, all {@code type}: 2 layers, 64 wide, FFN 128 (256 and 256 for the K
     * types, whose rows hold whole 256-value blocks), 4 heads, 2 KV heads, vocab 400, context 256.
     */
    public static ModelSpec tiny(GgmlType type) {
        boolean superBlocks = type.blockSize() == 256;
        return builder().blockCount(2).embeddingLength(superBlocks ? 256 : 64)
                .feedForwardLength(superBlocks ? 256 : 128).headCount(4).headCountKv(2)
                .vocabSize(400).contextLength(256).allTypes(type).name("tiny").build();
    }

    /** TinyLlama 1.1B's shape: 22 layers, 2048 wide, FFN 5632, 32 heads, 4 KV heads, vocab 32000, ctx 2048. */
    public static ModelSpec tinyLlama(GgmlType type) {
        return builder().blockCount(22).embeddingLength(2048).feedForwardLength(5632).headCount(32).headCountKv(4)
                .vocabSize(32000).contextLength(2048).allTypes(type).weightStd(0.02f).embeddingStd(0.02f)
                .outputStd(0.02f).name("tinyllama-synthetic").build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    private static int headDim(int embeddingLength, int headCount) {
        return embeddingLength / headCount;
    }

    private static void positive(String what, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(what + " must be positive, was " + value);
        }
    }

    private static void requireFits(String what, GgmlType type, int... rowLengths) {
        Objects.requireNonNull(type, what);
        if (!Quantizer.supports(type)) {
            throw new IllegalArgumentException(what + " " + type + " cannot be written");
        }
        for (int rowLength : rowLengths) {
            if (rowLength % type.blockSize() != 0) {
                throw new IllegalArgumentException(what + " " + type + " needs rows that are multiples of "
                        + type.blockSize() + ", but a row is " + rowLength + " long");
            }
        }
    }

    /** Mutable builder with the defaults of a small llama model. */
    public static final class Builder {
        private String name = "synthetic";
        private String architecture = "llama";
        private int blockCount = 2;
        private int embeddingLength = 64;
        private int feedForwardLength = 128;
        private int headCount = 4;
        private int headCountKv = 2;
        private int vocabSize = 400;
        private int contextLength = 512;
        private float ropeFreqBase = 10000f;
        private float rmsEps = 1e-5f;
        private GgmlType weightType = GgmlType.F32;
        private GgmlType embeddingType = GgmlType.F32;
        private GgmlType outputType = GgmlType.F32;
        private boolean tiedEmbeddings;
        private boolean attentionBias;
        private RopeScaling ropeScaling;
        private long seed = 1;
        private float weightStd = 0.05f;
        private float embeddingStd = 0.5f;
        private float outputStd = 0.1f;
        private Vocabulary vocabulary;

        Builder() {
        }

        Builder(ModelSpec spec) {
            name = spec.name;
            architecture = spec.architecture;
            blockCount = spec.blockCount;
            embeddingLength = spec.embeddingLength;
            feedForwardLength = spec.feedForwardLength;
            headCount = spec.headCount;
            headCountKv = spec.headCountKv;
            vocabSize = spec.vocabSize;
            contextLength = spec.contextLength;
            ropeFreqBase = spec.ropeFreqBase;
            rmsEps = spec.rmsEps;
            weightType = spec.weightType;
            embeddingType = spec.embeddingType;
            outputType = spec.outputType;
            tiedEmbeddings = spec.tiedEmbeddings;
            attentionBias = spec.attentionBias;
            ropeScaling = spec.ropeScaling;
            seed = spec.seed;
            weightStd = spec.weightStd;
            embeddingStd = spec.embeddingStd;
            outputStd = spec.outputStd;
            vocabulary = spec.vocabulary;
        }

        public Builder name(String value) {
            name = value;
            return this;
        }

        /** "llama", or "qwen2" (which also turns on attention biases). */
        public Builder architecture(String value) {
            architecture = value;
            if (value.equals("qwen2")) {
                attentionBias = true;
            }
            return this;
        }

        public Builder blockCount(int value) {
            blockCount = value;
            return this;
        }

        public Builder embeddingLength(int value) {
            embeddingLength = value;
            return this;
        }

        public Builder feedForwardLength(int value) {
            feedForwardLength = value;
            return this;
        }

        public Builder headCount(int value) {
            headCount = value;
            return this;
        }

        public Builder headCountKv(int value) {
            headCountKv = value;
            return this;
        }

        public Builder vocabSize(int value) {
            vocabSize = value;
            return this;
        }

        public Builder contextLength(int value) {
            contextLength = value;
            return this;
        }

        public Builder ropeFreqBase(float value) {
            ropeFreqBase = value;
            return this;
        }

        public Builder rmsEps(float value) {
            rmsEps = value;
            return this;
        }

        public Builder weightType(GgmlType value) {
            weightType = value;
            return this;
        }

        public Builder embeddingType(GgmlType value) {
            embeddingType = value;
            return this;
        }

        public Builder outputType(GgmlType value) {
            outputType = value;
            return this;
        }

        /** Weight, embedding and output types all {@code value}. */
        public Builder allTypes(GgmlType value) {
            return weightType(value).embeddingType(value).outputType(value);
        }

        public Builder tiedEmbeddings(boolean value) {
            tiedEmbeddings = value;
            return this;
        }

        public Builder attentionBias(boolean value) {
            attentionBias = value;
            return this;
        }

        public Builder ropeScaling(RopeScaling value) {
            ropeScaling = value;
            return this;
        }

        public Builder seed(long value) {
            seed = value;
            return this;
        }

        public Builder weightStd(float value) {
            weightStd = value;
            return this;
        }

        public Builder embeddingStd(float value) {
            embeddingStd = value;
            return this;
        }

        public Builder outputStd(float value) {
            outputStd = value;
            return this;
        }

        /** A tokenizer to write instead of the synthetic one; also sets {@code vocabSize}. */
        public Builder vocabulary(Vocabulary value) {
            vocabulary = value;
            if (value != null) {
                vocabSize = value.size();
            }
            return this;
        }

        public ModelSpec build() {
            return new ModelSpec(name, architecture, blockCount, embeddingLength, feedForwardLength, headCount,
                    headCountKv, vocabSize, contextLength, ropeFreqBase, rmsEps, weightType, embeddingType, outputType,
                    tiedEmbeddings, attentionBias, ropeScaling, seed, weightStd, embeddingStd, outputStd, vocabulary);
        }
    }
}
