package io.llmswarm.bench;

import io.llmswarm.gguf.GgufFile;
import io.llmswarm.gguf.GgufMetadata;
import io.llmswarm.llamacpp.LlamaCppModel;
import io.llmswarm.llamacpp.Sampling;

import java.nio.file.Path;

/**
 * Greedy generation through native llama.cpp ({@link LlamaCppModel}), timed the way {@code
 * generate --json} reports it. llama.cpp streams text pieces, not token ids, and holds back a
 * piece that ends inside a UTF-8 character, so pieces are not counted as tokens. Instead: the
 * time to first token is the time to the first non-empty piece; with EOS ignored exactly {@code
 * maxTokens} tokens are generated, so decode speed is {@code maxTokens - 1} over the time from
 * that piece to the end; prompt speed is prompt tokens over the time to the first token.
 */
public final class LlamaCppRunner {

    private final LlamaCppModel model;
    private final int bosToken;

    private LlamaCppRunner(LlamaCppModel model, int bosToken) {
        this.model = model;
        this.bosToken = bosToken;
    }

    /** Loads {@code file} with {@code threads} threads (once per JVM: llama.cpp models are never freed). */
    public static LlamaCppRunner open(Path file, int threads) {
        int bos;
        try (GgufFile gguf = GgufFile.open(file)) {
            GgufMetadata metadata = gguf.metadata();
            // llama.cpp adds BOS unless the file says not to (its default for SentencePiece models).
            boolean addsBos = metadata.getBooleanOrDefault("tokenizer.ggml.add_bos_token", true);
            bos = addsBos ? metadata.getIntOrDefault("tokenizer.ggml.bos_token_id", -1) : -1;
        }
        return new LlamaCppRunner(LlamaCppModel.load(file, threads), bos);
    }

    /** The prompt's token ids as llama.cpp evaluates them: BOS where the model adds it, then the text's. */
    public int[] promptTokens(String prompt) {
        int[] text = model.encode(prompt);
        if (bosToken < 0) {
            return text;
        }
        int[] tokens = new int[text.length + 1];
        tokens[0] = bosToken;
        System.arraycopy(text, 0, tokens, 1, text.length);
        return tokens;
    }

    /**
     * Generates {@code maxTokens} tokens greedily after {@code prompt}, EOS ignored. The result's
     * {@code tokens} array is empty: llama.cpp does not hand out the ids it sampled, and encoding
     * the text again would give other ids wherever a text has several tokenizations.
     */
    public GenerationResult generate(String prompt, int maxTokens) {
        int[] promptTokens = promptTokens(prompt);
        if (promptTokens.length + maxTokens > model.contextLength()) {
            throw new IllegalArgumentException(promptTokens.length + " prompt tokens and " + maxTokens
                    + " new ones do not fit the context of " + model.contextLength());
        }
        long[] firstPiece = {-1};
        long start = System.nanoTime();
        String text = model.generate(prompt, Sampling.greedy(maxTokens, true), piece -> {
            if (firstPiece[0] < 0) {
                firstPiece[0] = System.nanoTime();
            }
        });
        long end = System.nanoTime();
        if (firstPiece[0] < 0) {
            throw new IllegalStateException(model.path() + ": llama.cpp generated no text in " + maxTokens + " tokens");
        }
        double firstTokenMs = (firstPiece[0] - start) / 1e6;
        double decodeSeconds = (end - firstPiece[0]) / 1e9;
        double decodeRate = maxTokens > 1 && decodeSeconds > 0 ? (maxTokens - 1) / decodeSeconds : 0;
        return new GenerationResult(promptTokens, new int[0], text, firstTokenMs,
                promptTokens.length / (firstTokenMs / 1e3), decodeRate, PeakMemory.peakResidentMib());
    }

    /**
     * Runs one generation and prints its JSON line: {@code --model F --prompt P --max-tokens N
     * [--threads T]} (also accepts {@code --temperature 0 --ignore-eos --json}).
     */
    public static void main(String[] args) {
        GenerationRequest request;
        try {
            request = GenerationRequest.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
            return;
        }
        GenerationResult result = open(request.model(), request.threads()).generate(request.prompt(), request.maxTokens());
        System.out.println(result.toJson());
        System.out.flush();
        // java-llama.cpp's native server thread never ends and would keep the JVM alive.
        System.exit(0);
    }
}
