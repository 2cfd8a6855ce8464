package io.llmswarm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmswarm.bench.PeakMemory;
import io.llmswarm.engine.ShardEngine;
import io.llmswarm.inference.GenerationRequest;
import io.llmswarm.inference.GenerationResult;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;
import io.llmswarm.tokenizer.StreamingDecoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code node generate}: one prompt, one model file, text streamed to standard output. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a GGUF model with the Java engine (or llama.cpp, to compare).")
public final class GenerateCommand implements Callable<Integer> {

    enum Backend { java, llamacpp }

    @Mixin
    GenerationOptions generation;

    @Option(names = "--backend", defaultValue = "java", converter = BackendConverter.class,
            description = "java (this engine) or llamacpp (llama.cpp through java-llama.cpp; llama.cpp also accepted). "
                    + "Default: ${DEFAULT-VALUE}")
    Backend backend;

    @Option(names = "--json", description = "Print one JSON object with tokens, text and timings instead of streaming.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        GenerationReport report = backend == Backend.java ? runJava(out) : LlamaCppGenerate.run(generation, json ? null : out);
        if (json) {
            Map<String, Object> json = report.toJson();
            json.put("seed", generation.seed());
            out.println(new ObjectMapper().writeValueAsString(json));
        } else {
            out.println();
            System.err.printf("%d prompt tokens, %d generated (%s), seed %d; first token after %.0f ms, %.2f tokens/s after it%n",
                    report.promptTokens().length, report.generatedCount(), report.finishReason(), generation.seed(),
                    report.timeToFirstTokenMs(), report.decodeTokensPerSecond());
        }
        return 0;
    }

    private GenerationReport runJava(PrintStream out) {
        int blocks = LocalModel.blockCount(generation.model());
        ShardEngine.Options options = ShardEngine.Options.defaults().withThreads(generation.threads());
        try (LocalModel model = LocalModel.load(generation.model(), options,
                new ProgressBar(System.err, "loading " + generation.model().getFileName(), blocks))) {
            String prompt = generation.chat() ? ChatPrompts.render(model.tokenizer(), model.engine().shard().file(),
                    generation.prompt) : generation.prompt;
            int[] promptTokens = model.tokenizer().encode(prompt, true, generation.chat());
            SamplingConfig sampling = generation.sampling();
            StreamingDecoder decoder = model.tokenizer().streamingDecoder(); // as the HTTP API and llama.cpp: " Tochter"
            StringBuilder text = new StringBuilder();
            GenerationResult result = model.generator().generate("cli",
                    new GenerationRequest(promptTokens, generation.maxTokens, sampling, generation.ignoreEos),
                    token -> {
                        String piece = decoder.accept(token);
                        text.append(piece);
                        if (!json) {
                            out.print(piece);
                            out.flush();
                        }
                        return true;
                    });
            String rest = decoder.flush();
            text.append(rest);
            if (!json) {
                out.print(rest);
            }
            return GenerationReport.of(result, text.toString());
        }
    }

    /** The command's JSON: token ids, text, timings and peak memory. */
    record GenerationReport(int[] promptTokens, int[] tokens, int generatedCount, String text, String finishReason,
                            double timeToFirstTokenMs, double promptTokensPerSecond, double decodeTokensPerSecond) {

        static GenerationReport of(GenerationResult result, String text) {
            return new GenerationReport(result.promptTokens(), result.tokens(), result.tokens().length, text,
                    result.finishReason().apiName(), result.timeToFirstTokenNanos() / 1e6,
                    result.promptTokensPerSecond(), result.decodeTokensPerSecond());
        }

        Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("prompt_tokens", promptTokens);
            json.put("tokens", tokens);
            json.put("generated_count", generatedCount);
            json.put("text", text);
            json.put("finish_reason", finishReason);
            json.put("time_to_first_token_ms", round(timeToFirstTokenMs));
            json.put("prompt_tokens_per_second", round(promptTokensPerSecond));
            json.put("decode_tokens_per_second", round(decodeTokensPerSecond));
            json.put("peak_rss_mib", round(PeakMemory.peakResidentMib()));
            return json;
        }

        private static double round(double v) {
            return Math.round(v * 100) / 100.0;
        }
    }

    static final class BackendConverter implements picocli.CommandLine.ITypeConverter<Backend> {
        @Override
        public Backend convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT).replace(".", "").replace("-", "")) {
                case "java" -> Backend.java;
                case "llamacpp" -> Backend.llamacpp;
                default -> throw new picocli.CommandLine.TypeConversionException(
                        "unknown backend '" + value + "': use java or llamacpp");
            };
        }
    }
}
