package io.llmswarm.cli;

import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.gguf.ModelMaker;
import io.llmswarm.gguf.ModelSpec;
import io.llmswarm.gguf.RopeScaling;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code node make-model}: writes a synthetic LLaMA-family GGUF model with random weights. */
@Command(name = "make-model", mixinStandardHelpOptions = true,
        description = "Writes a synthetic LLaMA-family GGUF model (random weights, real layout) that llama.cpp loads.")
public final class MakeModelCommand implements Callable<Integer> {

    /** The shapes to start from. */
    enum Preset { tiny, tinyllama }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, description = "File to write.")
    Path out;

    @Option(names = "--preset", defaultValue = "tiny",
            description = "tiny (2 layers, 64 wide) or tinyllama (22 layers, 2048 wide, vocab 32000). Default: ${DEFAULT-VALUE}.")
    Preset preset;

    @Option(names = "--type", defaultValue = "Q8_0",
            description = "Type of all weights: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q4_K, Q5_K, Q6_K. Default: ${DEFAULT-VALUE}.")
    GgmlType type;

    @Option(names = "--arch", description = "llama or qwen2 (qwen2 adds attention biases).")
    String architecture;

    @Option(names = "--layers", description = "Transformer layers.")
    Integer layers;

    @Option(names = "--dim", description = "Model width (embedding length).")
    Integer dim;

    @Option(names = "--ffn", description = "Feed-forward width.")
    Integer ffn;

    @Option(names = "--heads", description = "Attention heads.")
    Integer heads;

    @Option(names = "--kv-heads", description = "Key/value heads.")
    Integer kvHeads;

    @Option(names = "--vocab", description = "Vocabulary size (at least 260).")
    Integer vocab;

    @Option(names = "--ctx", description = "Context length.")
    Integer context;

    @Option(names = "--seed", description = "Seed of the random weights.")
    Long seed;

    @Option(names = "--tied", description = "Tie the output head to the token embedding (no output.weight).")
    boolean tied;

    @Option(names = "--llama3-rope", description = "Write Llama 3.1 RoPE scaling factors (rope_freqs.weight).")
    boolean llama3Rope;

    @Option(names = "--output-std", description = "Standard deviation of the output head (larger: peakier logits).")
    Float outputStd;

    @Override
    public Integer call() {
        ModelSpec model = buildSpec();
        PrintWriter stdout = spec.commandLine().getOut();
        long start = System.nanoTime();
        ModelMaker.write(model, out);
        long millis = (System.nanoTime() - start) / 1_000_000;
        try (GgufFile file = GgufFile.open(out)) {
            stdout.printf("wrote %s: %s, %d layers, %d wide, ffn %d, %d/%d heads, vocab %d, %s weights, %d tensors, "
                    + "%d bytes in %d ms%nfingerprint %s%n", out, model.architecture(), model.blockCount(),
                    model.embeddingLength(), model.feedForwardLength(), model.headCount(), model.headCountKv(),
                    model.vocabSize(), model.weightType(), file.tensors().size(), file.fileSize(), millis,
                    file.fingerprint());
        }
        stdout.flush();
        return 0;
    }

    /** The preset with the options given applied on top. */
    ModelSpec buildSpec() {
        ModelSpec.Builder builder = (preset == Preset.tinyllama ? ModelSpec.tinyLlama(type) : ModelSpec.tiny(type))
                .toBuilder();
        if (architecture != null) {
            builder.architecture(architecture);
        }
        if (layers != null) {
            builder.blockCount(layers);
        }
        if (dim != null) {
            builder.embeddingLength(dim);
        }
        if (ffn != null) {
            builder.feedForwardLength(ffn);
        }
        if (heads != null) {
            builder.headCount(heads);
        }
        if (kvHeads != null) {
            builder.headCountKv(kvHeads);
        }
        if (vocab != null) {
            builder.vocabSize(vocab);
        }
        if (context != null) {
            builder.contextLength(context);
        }
        if (seed != null) {
            builder.seed(seed);
        }
        if (outputStd != null) {
            builder.outputStd(outputStd);
        }
        if (llama3Rope) {
            builder.ropeScaling(RopeScaling.llama31());
        }
        try {
            return builder.tiedEmbeddings(tied).build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "cannot make that model: " + e.getMessage());
        }
    }
}
