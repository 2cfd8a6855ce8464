package io.llmswarm.demo;

import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.gguf.GgufMetadata;
import io.llmswarm.gguf.GgufWriter;
import io.llmswarm.gguf.ModelMaker;
import io.llmswarm.gguf.TensorInfo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the trained demo model as GGUF with the project's writer: the weights that
 * tools/demo-model/export_weights.py wrote (raw float32 files and a manifest), the LLaMA-2
 * vocabulary and TinyLlama-Chat's chat template. 2-D weights are stored as F32 or quantized to
 * Q8_0; norm weights stay F32. Run by tools/demo-model/run.sh.
 */
public final class ExportGguf {

    static final String NAME = "llm-swarm-demo-wordnet";

    /** One tensor of the manifest: its GGUF name and shape (row length first). */
    record TensorEntry(String name, long[] shape) {
    }

    /** The manifest's config line and tensors. */
    record Manifest(int heads, int context, float ropeBase, float rmsEps, List<TensorEntry> tensors) {

        long[] shape(String name) {
            return tensors.stream().filter(t -> t.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("the manifest has no tensor " + name)).shape();
        }

        int blockCount() {
            return (int) tensors.stream().filter(t -> t.name().startsWith("blk.") && t.name().endsWith(".attn_q.weight")).count();
        }
    }

    private ExportGguf() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            throw new IllegalArgumentException("usage: ExportGguf WEIGHTS_DIR F32_OUT.gguf Q8_0_OUT.gguf");
        }
        Path weights = Path.of(args[0]);
        Manifest manifest = readManifest(weights.resolve("manifest.txt"));
        TensorSource values = tensor -> readFloats(weights.resolve(tensor.name() + ".f32"), tensor.shape());
        write(manifest, values, GgmlType.F32, Path.of(args[1]));
        write(manifest, values, GgmlType.Q8_0, Path.of(args[2]));
        for (String file : new String[] {args[1], args[2]}) {
            System.out.println(file + ": " + Files.size(Path.of(file)) + " bytes");
        }
    }

    /** The float values of a tensor of the manifest. */
    @FunctionalInterface
    interface TensorSource {
        float[] values(TensorEntry tensor) throws IOException;
    }

    /** The manifest of an existing demo model file, for writing it again as another type. */
    static Manifest manifestOf(GgufFile file) {
        GgufMetadata metadata = file.metadata();
        List<TensorEntry> tensors = new ArrayList<>();
        for (TensorInfo info : file.tensors().values()) {
            tensors.add(new TensorEntry(info.name(), info.shape()));
        }
        return new Manifest(metadata.getInt("llama.attention.head_count"), metadata.getInt("llama.context_length"),
                metadata.getFloat("llama.rope.freq_base"), metadata.getFloat("llama.attention.layer_norm_rms_epsilon"),
                tensors);
    }

    /** Writes the demo model with 2-D weights of {@code type} (norms stay F32). */
    static void write(Manifest manifest, TensorSource source, GgmlType type, Path out) throws IOException {
        long[] embedding = manifest.shape("token_embd.weight");
        int dim = (int) embedding[0];
        int vocab = (int) embedding[1];
        GgufWriter writer = new GgufWriter();
        writer.putString("general.architecture", "llama");
        writer.putString("general.name", NAME);
        writer.putString("general.description", "A small LLaMA trained by tools/demo-model on WordNet 3.0 glosses"
                + " as questions and answers (What is X?) in TinyLlama-Chat's prompt format");
        writer.putString("general.license", "WordNet 3.0 license (Princeton University), see tools/demo-model/README.md");
        writer.putUInt32("general.file_type", ModelMaker.fileType(type));
        writer.putUInt32("general.quantization_version", 2);
        writer.putUInt32("llama.vocab_size", vocab);
        writer.putUInt32("llama.context_length", manifest.context());
        writer.putUInt32("llama.embedding_length", dim);
        writer.putUInt32("llama.block_count", manifest.blockCount());
        writer.putUInt32("llama.feed_forward_length", manifest.shape("blk.0.ffn_gate.weight")[1]);
        writer.putUInt32("llama.rope.dimension_count", dim / manifest.heads());
        writer.putUInt32("llama.attention.head_count", manifest.heads());
        writer.putUInt32("llama.attention.head_count_kv", manifest.heads());
        writer.putFloat32("llama.attention.layer_norm_rms_epsilon", manifest.rmsEps());
        writer.putFloat32("llama.rope.freq_base", manifest.ropeBase());
        DemoFormat.llama2().toGgufVocabulary(DemoFormat.CHAT_TEMPLATE).writeTo(writer);
        writer.putBool("tokenizer.ggml.add_space_prefix", true);
        for (TensorEntry tensor : manifest.tensors()) {
            float[] values = source.values(tensor);
            GgmlType tensorType = tensor.shape().length == 2 ? type : GgmlType.F32;
            writer.addTensor(tensor.name(), tensorType, tensor.shape(), values);
        }
        writer.write(out);
    }

    static Manifest readManifest(Path path) throws IOException {
        Map<String, String> config = new HashMap<>();
        List<TensorEntry> tensors = new ArrayList<>();
        for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
            String[] fields = line.trim().split("\\s+");
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            if (fields[0].equals("config")) {
                for (int i = 1; i + 1 < fields.length; i += 2) {
                    config.put(fields[i], fields[i + 1]);
                }
            } else {
                long[] shape = Arrays.stream(fields, 1, fields.length).mapToLong(Long::parseLong).toArray();
                tensors.add(new TensorEntry(fields[0], shape));
            }
        }
        for (String key : List.of("heads", "context", "rope_base", "rms_eps")) {
            if (!config.containsKey(key)) {
                throw new IllegalArgumentException(path + ": the config line lacks " + key);
            }
        }
        return new Manifest(Integer.parseInt(config.get("heads")), Integer.parseInt(config.get("context")),
                Float.parseFloat(config.get("rope_base")), Float.parseFloat(config.get("rms_eps")), tensors);
    }

    private static float[] readFloats(Path file, long[] shape) throws IOException {
        long count = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length != count * Float.BYTES) {
            throw new IllegalArgumentException(file + ": expected " + count * Float.BYTES + " bytes for shape "
                    + Arrays.toString(shape) + ", found " + bytes.length);
        }
        float[] values = new float[(int) count];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return values;
    }
}
