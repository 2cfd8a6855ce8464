package io.llmswarm.gguf;

import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes a synthetic LLaMA-family model ({@link ModelSpec}) as a GGUF file that llama.cpp
 * loads: its tensor names, shapes and metadata keys. Weights are seeded Gaussian noise, made and
 * quantized one tensor at a time while the file is written; each tensor's values depend only on
 * the seed and the tensor's name.
 */
public final class ModelMaker {

    private static final float NORM_NOISE = 0.1f;

    private ModelMaker() {
    }

    /** Writes {@code spec} to {@code path}. */
    public static void write(ModelSpec spec, Path path) {
        writer(spec).write(path);
    }

    /** The writer {@link #write} uses, for callers that want to add keys or tensors first. */
    public static GgufWriter writer(ModelSpec spec) {
        String arch = spec.architecture();
        int embd = spec.embeddingLength();
        int kv = spec.kvWidth();
        int ff = spec.feedForwardLength();
        GgufWriter writer = new GgufWriter();
        writer.putString("general.architecture", arch);
        writer.putString("general.name", spec.name());
        writer.putUInt32("general.file_type", fileType(spec.weightType()));
        writer.putUInt32("general.quantization_version", 2);
        writer.putUInt32(arch + ".vocab_size", spec.vocabSize());
        writer.putUInt32(arch + ".context_length", spec.contextLength());
        writer.putUInt32(arch + ".embedding_length", embd);
        writer.putUInt32(arch + ".block_count", spec.blockCount());
        writer.putUInt32(arch + ".feed_forward_length", ff);
        writer.putUInt32(arch + ".rope.dimension_count", spec.headDim());
        writer.putUInt32(arch + ".attention.head_count", spec.headCount());
        writer.putUInt32(arch + ".attention.head_count_kv", spec.headCountKv());
        writer.putFloat32(arch + ".attention.layer_norm_rms_epsilon", spec.rmsEps());
        writer.putFloat32(arch + ".rope.freq_base", spec.ropeFreqBase());
        spec.vocabularyOrDefault().writeTo(writer);

        addGaussian(writer, spec, "token_embd.weight", spec.embeddingType(), spec.embeddingStd(), embd, spec.vocabSize());
        if (spec.ropeScaling() != null) {
            float[] factors = spec.ropeScaling().factors(spec.headDim(), spec.ropeFreqBase());
            writer.addTensor("rope_freqs.weight", GgmlType.F32, new long[] {factors.length}, factors);
        }
        for (int layer = 0; layer < spec.blockCount(); layer++) {
            String blk = "blk." + layer + ".";
            addNorm(writer, spec, blk + "attn_norm.weight", embd);
            addWeight(writer, spec, blk + "attn_q.weight", embd, embd);
            addWeight(writer, spec, blk + "attn_k.weight", embd, kv);
            addWeight(writer, spec, blk + "attn_v.weight", embd, kv);
            if (spec.attentionBias()) {
                addGaussian(writer, spec, blk + "attn_q.bias", GgmlType.F32, spec.weightStd(), embd);
                addGaussian(writer, spec, blk + "attn_k.bias", GgmlType.F32, spec.weightStd(), kv);
                addGaussian(writer, spec, blk + "attn_v.bias", GgmlType.F32, spec.weightStd(), kv);
            }
            addWeight(writer, spec, blk + "attn_output.weight", embd, embd);
            addNorm(writer, spec, blk + "ffn_norm.weight", embd);
            addWeight(writer, spec, blk + "ffn_gate.weight", embd, ff);
            addWeight(writer, spec, blk + "ffn_up.weight", embd, ff);
            addWeight(writer, spec, blk + "ffn_down.weight", ff, embd);
        }
        addNorm(writer, spec, "output_norm.weight", embd);
        if (!spec.tiedEmbeddings()) {
            addGaussian(writer, spec, "output.weight", spec.outputType(), spec.outputStd(), embd, spec.vocabSize());
        }
        return writer;
    }

    /** llama.cpp's {@code general.file_type} (LLAMA_FTYPE_MOSTLY_*) for weights of {@code type}. */
    public static int fileType(GgmlType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q4_1 -> 3;
            case Q8_0 -> 7;
            case Q5_0 -> 8;
            case Q5_1 -> 9;
            case Q2_K -> 10;
            case Q3_K -> 12;
            case Q4_K -> 15;
            case Q5_K -> 17;
            case Q6_K -> 18;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException("no llama.cpp file type for " + type + " weights");
        };
    }

    /** The values {@link #write} stores for a Gaussian tensor (before quantization). */
    public static float[] gaussianValues(ModelSpec spec, String tensorName, float std, int count) {
        SplittableRandom random = randomFor(spec, tensorName);
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian() * std;
        }
        return values;
    }

    private static void addWeight(GgufWriter writer, ModelSpec spec, String name, int rowLength, int rows) {
        addGaussian(writer, spec, name, spec.weightType(), spec.weightStd(), rowLength, rows);
    }

    private static void addGaussian(GgufWriter writer, ModelSpec spec, String name, GgmlType type, float std,
            int... shape) {
        int count = Math.multiplyExact(shape[0], shape.length > 1 ? shape[1] : 1);
        writer.addTensor(name, type, longs(shape), () -> gaussianValues(spec, name, std, count));
    }

    /** Norm weights near 1, as trained models have, with some noise so that a wrong index shows. */
    private static void addNorm(GgufWriter writer, ModelSpec spec, String name, int length) {
        writer.addTensor(name, GgmlType.F32, new long[] {length}, () -> {
            float[] values = gaussianValues(spec, name, NORM_NOISE, length);
            for (int i = 0; i < length; i++) {
                values[i] += 1f;
            }
            return values;
        });
    }

    private static SplittableRandom randomFor(ModelSpec spec, String tensorName) {
        long mixed = spec.seed() * 0x9E3779B97F4A7C15L + tensorName.hashCode();
        return new SplittableRandom(mixed);
    }

    private static long[] longs(int... shape) {
        long[] result = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            result[i] = shape[i];
        }
        return result;
    }
}
