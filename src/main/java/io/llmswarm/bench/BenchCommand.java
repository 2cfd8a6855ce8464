package io.llmswarm.bench;

import io.llmswarm.gguf.GgmlType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import io.llmswarm.gguf.GgufFile;
import io.llmswarm.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code node bench}: the Java engine (in one or more JVM-option variants) beside two llama.cpp
 * builds on TinyLlama-1.1B-shaped models, one child process per run, plus the machine's memory
 * bandwidth and the decode speed it allows. The current llama.cpp runs through node-llama-cpp or,
 * where there is no Node.js, through a native driver on the same prebuilt libraries.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark the Java engine against llama.cpp on TinyLlama-1.1B-shaped models.")
public final class BenchCommand implements Callable<Integer> {

    @Option(names = "--types", split = ",", defaultValue = "Q8_0,Q4_0,Q4_K", converter = BenchConverters.WeightTypes.class,
            description = "Weight types to benchmark (default: ${DEFAULT-VALUE}).")
    List<GgmlType> types;

    @Option(names = "--threads", description = "Threads for every backend (default: all cores).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--prompt-tokens", split = ",", defaultValue = "5,64",
            description = "Prompt lengths: the shortest gives time to first token and decode speed, "
                    + "the longest prompt speed (default: ${DEFAULT-VALUE}).")
    List<Integer> promptTokens;

    @Option(names = "--decode-tokens", defaultValue = "64", description = "Tokens to generate per run (default: ${DEFAULT-VALUE}).")
    int decodeTokens;

    @Option(names = "--model-dir", defaultValue = "/tmp/llmswarm-bench",
            description = "Where the generated model files are cached (default: ${DEFAULT-VALUE}).")
    Path modelDirectory;

    @Option(names = "--backends", split = ",", defaultValue = "java,llama.cpp,llama.cpp-current",
            converter = BenchConverters.Backends.class,
            description = "Backends to run: java, llama.cpp (b4916 through java-llama.cpp), llama.cpp-current "
                    + "(the prebuilt build of npm's node-llama-cpp; see --llama-current-driver) (default: ${DEFAULT-VALUE}).")
    List<Backend> backends;

    @Option(names = "--java-variants",
            description = "Run the Java engine once per variant, each a row: label=JVM options, separated by ';', "
                    + "e.g. \"default=;avx2=-XX:UseAVX=2;128bit=-XX:MaxVectorSize=16\" (default: one row, no extra options).")
    String javaVariants;

    @Option(names = "--llama-current-dir", defaultValue = "bench/llama-current",
            description = "The npm package of the llama.cpp-current backend, with node_modules installed "
                    + "(default: ${DEFAULT-VALUE}).")
    Path llamaCurrentDirectory;

    @Option(names = "--llama-current-driver", split = ",", defaultValue = LlamaCurrentDriver.AUTO,
            description = "How llama.cpp-current runs: node (node-llama-cpp's generate.mjs), native (the C driver "
                    + "bench/llama-current/native/generate.c on the same prebuilt libraries), auto (node where it is "
                    + "on the PATH, else native), or node,native for a row of each (default: ${DEFAULT-VALUE}).")
    List<String> llamaCurrentDrivers;

    @Option(names = "--llama-current-native",
            description = "The native llama.cpp-current driver (default: native/bin/generate in --llama-current-dir, "
                    + "where bench/llama-current/native/build writes it).")
    Path llamaCurrentNative;

    @Option(names = "--llama-current-libs",
            description = "The prebuilt llama.cpp libraries the native driver runs on (default: the driver's own folder "
                    + "where a libllama.*.so lies there, else node_modules/@node-llama-cpp/linux-x64/bins/linux-x64 "
                    + "in --llama-current-dir).")
    Path llamaCurrentLibraries;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--shape", defaultValue = "tinyllama", converter = BenchConverters.Shapes.class,
            description = "Model shape: tinyllama (1.1B, the benchmark) or tiny (2 layers, a quick check of the harness).")
    BenchModels.Shape shape;

    @Option(names = "--output", description = "Also write the report (Markdown) to this file.")
    Path output;

    @Option(names = "--timeout", defaultValue = "600", description = "Seconds one run may take (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds;

    /** Runs the benchmark without the node's root command: {@code java … io.llmswarm.bench.BenchCommand [options]}. */
    public static void main(String[] args) {
        System.exit(new picocli.CommandLine(new BenchCommand()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        int shortPrompt = promptTokens.stream().mapToInt(Integer::intValue).min().orElseThrow();
        int longPrompt = promptTokens.stream().mapToInt(Integer::intValue).max().orElseThrow();
        if (shortPrompt < 2 || threads < 1 || decodeTokens < 2) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "need --prompt-tokens >= 2, --threads >= 1 and --decode-tokens >= 2");
        }
        List<LlamaCurrentDriver> drivers;
        try {
            drivers = LlamaCurrentDriver.resolve(llamaCurrentDrivers,
                    LlamaCurrentDriver.onPath("node", System.getenv("PATH")));
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--llama-current-driver: " + e.getMessage());
        }
        List<Contender> contenders;
        try {
            contenders = contenders(backends, javaVariants == null ? null : Contender.javaVariants(javaVariants), drivers);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--java-variants: " + e.getMessage());
        }

        String loadBefore = MachineInfo.loadAverage();
        MemoryBandwidth meter = MemoryBandwidth.oneGib();
        double bandwidthOne = meter.measureGbPerSecond(1);
        double bandwidth = meter.measureGbPerSecond(threads);
        System.err.printf("memory read bandwidth: %.1f GB/s with 1 thread, %.1f GB/s with %d%n",
                bandwidthOne, bandwidth, threads);

        BenchModels models = new BenchModels(modelDirectory, shape);
        List<ModelUnderTest> files = new ArrayList<>();
        for (GgmlType type : types) {
            Path file = models.ensure(type);
            files.add(new ModelUnderTest(type, file, ModelWeights.of(file)));
        }
        Map<Integer, String> prompts = prompts(files.getFirst().file(), shortPrompt, longPrompt);

        ChildProcess child = new ChildProcess(Files.createDirectories(modelDirectory.resolve("logs")), timeoutSeconds,
                llamaCurrentDirectory, ChildProcess.Native.of(llamaCurrentDirectory, llamaCurrentNative, llamaCurrentLibraries));
        List<BenchRow> rows = new ArrayList<>();
        for (ModelUnderTest model : files) {
            for (Contender contender : contenders) {
                rows.add(run(child, model, contender, prompts));
            }
        }

        String loadAfter = MachineInfo.loadAverage();
        String report = report(rows, bandwidthOne, bandwidth, shortPrompt, longPrompt, loadBefore, loadAfter);
        System.out.println(report);
        if (output != null) {
            Files.writeString(output, report);
        }
        return rows.stream().allMatch(BenchRow::succeeded) ? 0 : 1;
    }

    /**
     * The rows of each type, in the order of {@code backends}: the Java engine once per variant
     * where there are variants ({@code null}: none), which need the Java engine among the backends,
     * and llama.cpp-current once per driver of {@code drivers} (each row named by its driver where
     * there are several).
     */
    static List<Contender> contenders(List<Backend> backends, List<Contender> javaVariants,
                                      List<LlamaCurrentDriver> drivers) {
        if (javaVariants != null && !backends.contains(Backend.JAVA)) {
            throw new IllegalArgumentException("they are rows of the java backend: add java to --backends");
        }
        List<Contender> contenders = new ArrayList<>();
        for (Backend backend : new LinkedHashSet<>(backends)) {
            if (backend == Backend.JAVA && javaVariants != null) {
                contenders.addAll(javaVariants);
            } else if (backend == Backend.LLAMA_CPP_CURRENT) {
                for (LlamaCurrentDriver driver : drivers) {
                    contenders.add(Contender.llamaCurrent(driver, drivers.size() > 1));
                }
            } else {
                contenders.add(Contender.of(backend));
            }
        }
        return contenders;
    }

    /** A model file of one weight type, with the bytes a decode step reads from it. */
    private record ModelUnderTest(GgmlType type, Path file, ModelWeights weights) {
    }

    /** Runs {@code model} on {@code contender} after the shortest and the longest prompt ({@code prompts} by token count). */
    private BenchRow run(ChildProcess child, ModelUnderTest model, Contender contender, Map<Integer, String> prompts)
            throws InterruptedException {
        int shortPrompt = Collections.min(prompts.keySet());
        int longPrompt = Collections.max(prompts.keySet());
        try {
            GenerationResult shortRun = runOnce(child, model, contender, shortPrompt, prompts.get(shortPrompt));
            GenerationResult longRun = longPrompt == shortPrompt ? shortRun
                    : runOnce(child, model, contender, longPrompt, prompts.get(longPrompt));
            return new BenchRow(model.type(), contender, model.weights(), shortRun, longRun, null);
        } catch (IOException | RuntimeException e) {
            System.err.println("failed: " + e.getMessage());
            return new BenchRow(model.type(), contender, model.weights(), null, null, e.getMessage());
        }
    }

    private GenerationResult runOnce(ChildProcess child, ModelUnderTest model, Contender contender, int promptTokens,
                                     String prompt) throws IOException, InterruptedException {
        System.err.printf("%s on %s: %d-token prompt…%n", contender.label(), model.type(), promptTokens);
        String runName = model.file().getFileName().toString().replace(".gguf", "") + "-" + contender.fileLabel()
                + "-prompt" + promptTokens;
        return child.run(contender, new GenerationRequest(model.file(), prompt, decodeTokens, threads), runName);
    }

    /**
     * Prompts of the asked token counts (BOS included), counted with the model's tokenizer, which
     * gives llama.cpp's ids (LlamaCppTokenizerFidelityTest); all types share one vocabulary.
     */
    private Map<Integer, String> prompts(Path file, int shortPrompt, int longPrompt) {
        Map<Integer, String> prompts = new LinkedHashMap<>();
        Tokenizer tokenizer;
        try (GgufFile gguf = GgufFile.open(file)) {
            tokenizer = Tokenizer.of(gguf.metadata());
        }
        for (int tokens : List.of(shortPrompt, longPrompt)) {
            prompts.put(tokens, PromptBuilder.ofTokens(tokens, text -> tokenizer.encode(text, true, false).length));
        }
        return prompts;
    }

    private String report(List<BenchRow> rows, double bandwidthOne, double bandwidth, int shortPrompt, int longPrompt,
                          String loadBefore, String loadAfter) {
        return String.format(Locale.ROOT, """
                        Machine: %s, %d cores seen by the JVM, load average %s before and %s after; JDK %s; %d threads per backend.
                        Memory read bandwidth: %.1f GB/s with 1 thread, %.1f GB/s with %d threads (Vector API sums over 1 GiB off-heap).
                        Each run: greedy, EOS ignored, %d tokens generated; peak RSS is the child process's VmHWM;
                        weights GB/s is decode tok/s times the weights read per token, and %% of bandwidth and
                        bandwidth-bound tok/s use the higher of the two bandwidths.

                        """, MachineInfo.cpuModel(), Runtime.getRuntime().availableProcessors(), loadBefore, loadAfter,
                Runtime.version(), threads, bandwidthOne, bandwidth, threads, decodeTokens)
                + BenchTable.markdown(rows, Math.max(bandwidthOne, bandwidth), shortPrompt, longPrompt);
    }
}
