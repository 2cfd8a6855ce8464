package io.llmswarm.cli;

import io.llmswarm.gguf.GgufFile;
import io.llmswarm.llamacpp.LlamaCppModel;
import io.llmswarm.llamacpp.Sampling;
import io.llmswarm.tokenizer.Tokenizer;

import java.io.PrintStream;

/**
 * {@code generate --backend llama.cpp}: the same job through java-llama.cpp, for side-by-side
 * comparison. llama.cpp streams text pieces, not token ids, so the report's generated tokens are
 * left empty and its count is the number of tokens asked for when EOS is ignored (exact), or the
 * number of pieces otherwise (a lower bound: llama.cpp may send two tokens as one piece).
 */
final class LlamaCppGenerate {

    private LlamaCppGenerate() {
    }

    static GenerateCommand.GenerationReport run(GenerationOptions options, PrintStream out) {
        String prompt = options.prompt;
        int[] promptTokens;
        try (GgufFile file = GgufFile.open(options.model())) {
            Tokenizer tokenizer = Tokenizer.of(file.metadata());
            if (options.chat()) {
                prompt = ChatPrompts.render(tokenizer, file, prompt);
            }
            promptTokens = tokenizer.encode(prompt, true, true);
        }
        LlamaCppModel model = LlamaCppModel.load(options.model(), options.threads());
        Sampling sampling = Sampling.of(options.sampling(), options.maxTokens, options.ignoreEos);
        long start = System.nanoTime();
        long[] firstPiece = {0};
        int[] pieces = {0};
        String text = model.generate(prompt, sampling, piece -> {
            if (pieces[0]++ == 0) {
                firstPiece[0] = System.nanoTime();
            }
            if (out != null) {
                out.print(piece);
                out.flush();
            }
        });
        long end = System.nanoTime();
        int generated = options.ignoreEos ? options.maxTokens : pieces[0];
        double ttftMs = pieces[0] == 0 ? (end - start) / 1e6 : (firstPiece[0] - start) / 1e6;
        double decodeSeconds = (end - firstPiece[0]) / 1e9;
        return new GenerateCommand.GenerationReport(promptTokens, new int[0], generated, text,
                options.ignoreEos || generated >= options.maxTokens ? "length" : "stop", ttftMs,
                promptTokens.length / (ttftMs / 1e3),
                generated > 1 && pieces[0] > 0 ? (generated - 1) / decodeSeconds : 0);
    }
}
