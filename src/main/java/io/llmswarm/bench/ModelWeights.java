package io.llmswarm.bench;

import io.llmswarm.gguf.GgufFile;
import io.llmswarm.gguf.TensorInfo;

import java.nio.file.Path;

/**
 * How many bytes of weights a model file holds and how many one decode step must read: every
 * tensor once, except the token embedding, of which a step reads one row (unless it doubles as
 * the output head, when there is no {@code output.weight}).
 */
public record ModelWeights(long totalBytes, long bytesReadPerToken) {

    static final String TOKEN_EMBEDDING = "token_embd.weight";
    static final String OUTPUT_HEAD = "output.weight";

    public static ModelWeights of(Path file) {
        try (GgufFile gguf = GgufFile.open(file)) {
            long total = 0;
            long embedding = 0;
            for (TensorInfo tensor : gguf.tensors().values()) {
                total += tensor.byteSize();
                if (tensor.name().equals(TOKEN_EMBEDDING)) {
                    embedding = tensor.byteSize();
                }
            }
            boolean tied = gguf.findTensor(OUTPUT_HEAD).isEmpty();
            return new ModelWeights(total, tied ? total : total - embedding);
        }
    }

    /** The decode speed memory allows: bandwidth over the bytes read per token. */
    public double bandwidthBoundTokensPerSecond(double gbPerSecond) {
        return gbPerSecond * 1e9 / bytesReadPerToken;
    }
}
