package io.llmswarm.llamacpp;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.Sampler;
import io.llmswarm.gguf.GgufFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A whole model run by native llama.cpp (b4916, through java-llama.cpp): tokenize, and generate
 * text greedily or by seeded sampling, streaming each piece.
 *
 * <p>llama.cpp logs to stdout and its server thread keeps the JVM alive, so a program that used
 * this must end with {@code System.exit}.
 *
 * <p>java-llama.cpp never frees a loaded model, so each file is loaded once per JVM and shared:
 * {@link #load} returns the same instance for the same unchanged file, and {@link #close} leaves
 * it loaded.
 *
 * <p>What llama.cpp does with a prompt here (checked by {@code LlamaCppModelTest}): generation
 * tokenizes the prompt text as given (no chat template), parses special-token text such as
 * {@code <s>}, and adds BOS when the model's {@code tokenizer.ggml.add_bos_token} says so; a
 * SentencePiece model also puts "▁" before the text. {@link #encode} adds no BOS. Generated text
 * is each token's piece with "▁" turned into a space (so the first piece usually starts with a
 * space); control tokens such as EOS give no text; a piece that ends inside a UTF-8 character is
 * held back and sent with the next one.
 */
public final class LlamaCppModel implements AutoCloseable {

    private static final int MAX_CONTEXT = 4096;

    /**
     * How llama.cpp runs the model: threads, the context size (llama.cpp's {@code --ctx-size}: the
     * KV cache of all slots together, split evenly between them; 0 gives each slot the model's
     * context capped at 4096), and how many sequences it decodes at once ({@code --parallel}).
     */
    public record Options(int threads, int contextSize, int parallel) {

        public Options {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1; got " + threads);
            }
            if (contextSize < 0) {
                throw new IllegalArgumentException("ctx-size must be 0 (the model's) or positive; got " + contextSize);
            }
            if (parallel < 1) {
                throw new IllegalArgumentException("parallel must be at least 1; got " + parallel);
            }
        }

        public static Options threads(int threads) {
            return new Options(threads, 0, 1);
        }
    }

    private static final Map<String, LlamaCppModel> LOADED = new ConcurrentHashMap<>();

    private final Path path;
    private final LlamaModel model;
    private final int contextLength;
    private final Options options;

    private LlamaCppModel(Path path, LlamaModel model, int contextLength, Options options) {
        this.path = path;
        this.model = model;
        this.contextLength = contextLength;
        this.options = options;
    }

    /**
     * The model at {@code path} loaded with {@code threads} threads, or the one already loaded from
     * that file (same size and modification time) with whatever threads it was loaded with.
     */
    public static LlamaCppModel load(Path path, int threads) {
        return load(path, Options.threads(threads));
    }

    /** As {@link #load(Path, int)} with every option; a file already loaded keeps the options it was loaded with. */
    public static LlamaCppModel load(Path path, Options options) {
        Path file = path.toAbsolutePath().normalize();
        String key;
        try {
            key = file + "|" + Files.size(file) + "|" + Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model file " + file, e);
        }
        return LOADED.computeIfAbsent(key, k -> open(file, options));
    }

    private static LlamaCppModel open(Path file, Options options) {
        int trainedContext;
        String architecture;
        try (GgufFile gguf = GgufFile.open(file)) { // also gives a clear error for a bad file
            architecture = gguf.metadata().getString("general.architecture");
            trainedContext = gguf.metadata().getInt(architecture + ".context_length");
        }
        int total = options.contextSize() > 0 ? options.contextSize()
                : Math.min(trainedContext, MAX_CONTEXT) * options.parallel();
        int context = total / options.parallel(); // what each slot gets
        if (context < 1) {
            throw new IllegalArgumentException("ctx-size " + total + " leaves no context for each of "
                    + options.parallel() + " parallel slots");
        }
        prepareNativeDirectory();
        ModelParameters parameters = new ModelParameters()
                .setModel(file.toString())
                .setThreads(options.threads())
                .setThreadsBatch(options.threads())
                .setCtxSize(total)
                .setParallel(options.parallel())
                .setGpuLayers(0);
        return new LlamaCppModel(file, new LlamaModel(parameters), context, options);
    }

    /** java-llama.cpp extracts its library into this folder but does not create it. */
    private static void prepareNativeDirectory() {
        String folder = System.getProperty("de.kherud.llama.tmpdir");
        if (folder != null) {
            try {
                Files.createDirectories(Path.of(folder));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the native library folder " + folder, e);
            }
        }
    }

    public Path path() {
        return path;
    }

    /** The context of each slot: the model's capped at 4096, or ctx-size divided by parallel. */
    public int contextLength() {
        return contextLength;
    }

    /** The options this instance was loaded with (a second load of the same file returns the first's). */
    public Options options() {
        return options;
    }

    /** Token ids of {@code text} as llama.cpp tokenizes it, without BOS; {@code <s>} and the like become control tokens. */
    public int[] encode(String text) {
        return model.encode(text);
    }

    /** The text of {@code tokens} joined as llama.cpp detokenizes them. */
    public String decode(int[] tokens) {
        return model.decode(tokens);
    }

    /** Up to {@code maxTokens} greedy tokens after {@code prompt}, as text. */
    public String generateGreedy(String prompt, int maxTokens, boolean ignoreEos) {
        return generate(prompt, Sampling.greedy(maxTokens, ignoreEos), piece -> { });
    }

    /**
     * Generates after {@code prompt}, handing each non-empty text piece to {@code onPiece} as it
     * comes (on the calling thread), and returns the whole text. A piece is usually one token's
     * text, but llama.cpp holds back bytes of an unfinished UTF-8 character and sends them with
     * the next token's, so pieces cannot be counted as tokens; bytes that never form a valid
     * character arrive as U+FFFD. If {@code onPiece} throws, the generation is cancelled in
     * llama.cpp and the exception passes on.
     */
    public String generate(String prompt, Sampling sampling, Consumer<String> onPiece) {
        return generate(prompt, sampling, piece -> {
            if (!piece.isEmpty()) {
                onPiece.accept(piece);
            }
        }, () -> false);
    }

    /**
     * As {@link #generate(String, Sampling, Consumer)}, but hands over every output, one per
     * generated token, empty ones included, and stops (cancelling in llama.cpp) once {@code stop}
     * says so; it is asked after each output, on the calling thread, since java-llama.cpp cannot
     * be cancelled from another thread while it waits for the next output.
     */
    public String generate(String prompt, Sampling sampling, Consumer<String> onOutput,
                           BooleanSupplier stop) {
        return generate(prompt, sampling, onOutput, stop, false);
    }

    /**
     * As {@link #generate(String, Sampling, Consumer, java.util.function.BooleanSupplier)}; with
     * {@code cachePrompt}, llama.cpp starts from the KV a slot kept of an earlier prompt that
     * begins the same way (its prompt cache) and computes only the rest. Off for reference runs:
     * llama.cpp's results for the uncached part may round differently from a whole-prompt pass.
     */
    public String generate(String prompt, Sampling sampling, Consumer<String> onOutput,
                           BooleanSupplier stop, boolean cachePrompt) {
        Objects.requireNonNull(prompt, "prompt");
        InferenceParameters parameters = new InferenceParameters(prompt)
                .setNPredict(sampling.maxTokens())
                .setTemperature(sampling.temperature())
                .setTopK(sampling.topK())
                .setTopP(sampling.topP())
                .setMinP(sampling.minP())
                .setSeed(sampling.seed())
                .setRepeatPenalty(sampling.repeatPenalty())
                .setRepeatLastN(sampling.repeatLastN())
                .setIgnoreEos(sampling.ignoreEos())
                .setCachePrompt(cachePrompt);
        // java-llama.cpp cannot name the penalty sampler: with a penalty, llama.cpp's default chain
        // (penalties, DRY, top-k, typical, top-p, min-p, XTC, temperature; the others off) runs.
        if (sampling.temperature() > 0 && !sampling.penalizesRepetition()) {
            parameters.setSamplers(Sampler.TOP_K, Sampler.TOP_P, Sampler.MIN_P, Sampler.TEMPERATURE);
        }
        StringBuilder text = new StringBuilder();
        LlamaIterator outputs = model.generate(parameters).iterator();
        try {
            while (outputs.hasNext() && !stop.getAsBoolean()) {
                LlamaOutput output = outputs.next();
                text.append(output.text);
                onOutput.accept(output.text);
            }
        } finally {
            if (outputs.hasNext()) {
                outputs.cancel(); // the consumer gave up: free llama.cpp's slot for the next request
            }
        }
        return text.toString();
    }

    /** Leaves the native model loaded (it cannot be freed); later {@link #load} calls get it again. */
    @Override
    public void close() {
        // Nothing to release: java-llama.cpp cannot free a model, so the instance stays cached.
    }
}
