package io.llmswarm.engine;

import io.llmswarm.engine.tensor.RowTable;
import io.llmswarm.engine.tensor.WeightMatrix;
import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.GgufException;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.gguf.TensorInfo;
import io.llmswarm.gguf.Quantizer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import io.llmswarm.engine.tensor.KernelWarmUp;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/**
 * The weights a node needs for a range of layers: the embedding table when the range starts the
 * model, the blocks of the range, and the final norm and output head when it ends the model.
 * Matrices are packed copies for the kernels (or views of the mapped file, for types read in
 * place); only the tensors named here are ever touched.
 */
public final class ModelShard implements AutoCloseable {

    private final GgufFile file;
    private final Arena packed;
    private final ModelConfig config;
    private final LayerRange range;
    private final RowTable embedding;
    private final LayerWeights[] layers;
    private final float[] outputNorm;
    private final WeightMatrix output;
    private final float[] ropeFactors;

    private ModelShard(GgufFile file, Arena packed, ModelConfig config, LayerRange range, RowTable embedding,
                       LayerWeights[] layers, float[] outputNorm, WeightMatrix output, float[] ropeFactors) {
        this.file = file;
        this.packed = packed;
        this.config = config;
        this.range = range;
        this.embedding = embedding;
        this.layers = layers;
        this.outputNorm = outputNorm;
        this.output = output;
        this.ropeFactors = ropeFactors;
    }

    /**
     * Reads the tensors of {@code range} from an open file; the shard owns the file from then on.
     * {@code progress} hears the number of layers loaded so far (for a progress bar).
     */
    public static ModelShard load(GgufFile file, LayerRange range, IntConsumer progress) {
        ModelConfig config = ModelConfig.from(file);
        range.checkWithin(config.blockCount());
        Arena packed = Arena.ofShared();
        try {
            return load(file, packed, config, range, progress);
        } catch (RuntimeException | Error e) {
            packed.close();
            throw e;
        }
    }

    private static ModelShard load(GgufFile file, Arena packed, ModelConfig config, LayerRange range, IntConsumer progress) {
        Loader loader = new Loader(file, config, packed);
        RowTable embedding = range.startsModel()
                ? loader.rowTable("token_embd.weight", config.vocabularySize(), config.embeddingLength())
                : null;
        boolean endsModel = range.endsModel(config.blockCount());
        // Packing is CPU work: layers (and the output head) are packed side by side, one per core.
        int threads = Math.max(1, Math.min(range.size() + 1, Runtime.getRuntime().availableProcessors()));
        ExecutorService packers = Executors.newFixedThreadPool(threads, Thread.ofPlatform().daemon().name("pack-", 1).factory());
        try {
            Future<WeightMatrix> output = packers.submit(() -> endsModel ? loader.matrix(
                    file.findTensor("output.weight").isPresent() ? "output.weight" : "token_embd.weight",
                    config.vocabularySize(), config.embeddingLength()) : null);
            List<Future<LayerWeights>> pending = new ArrayList<>();
            for (int i = 0; i < range.size(); i++) {
                int layer = range.first() + i;
                pending.add(packers.submit(() -> loader.layer(layer)));
            }
            LayerWeights[] layers = new LayerWeights[range.size()];
            for (int i = 0; i < layers.length; i++) {
                layers[i] = result(pending.get(i));
                progress.accept(i + 1);
            }
            float[] outputNorm = endsModel ? loader.vector("output_norm.weight", config.embeddingLength()) : null;
            float[] ropeFactors = loader.optionalVector("rope_freqs.weight", config.ropeDimensions() / 2).orElse(null);
            return new ModelShard(file, packed, config, range, embedding, layers, outputNorm, result(output), ropeFactors);
        } finally {
            packers.shutdownNow();
        }
    }

    /** The value of a finished load task, with its own exception (a bad tensor's message) if it failed. */
    private static <T> T result(Future<T> future) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while loading the model", e);
        }
    }

    public ModelConfig config() {
        return config;
    }

    public LayerRange range() {
        return range;
    }

    public GgufFile file() {
        return file;
    }

    public boolean hasEmbedding() {
        return embedding != null;
    }

    public boolean hasOutput() {
        return output != null;
    }

    RowTable embedding() {
        return embedding;
    }

    LayerWeights layer(int layer) {
        return layers[layer - range.first()];
    }

    float[] outputNorm() {
        return outputNorm;
    }

    WeightMatrix output() {
        return output;
    }

    /** Per-frequency divisors for rope (Llama 3.1 scaling), or {@code null}. */
    float[] ropeFactors() {
        return ropeFactors;
    }

    /** The kinds of matrices (weight type and row length) this shard multiplies. */
    public Set<KernelWarmUp.Kind> matrixKinds() {
        Set<KernelWarmUp.Kind> kinds = new LinkedHashSet<>();
        for (LayerWeights layer : layers) {
            for (WeightMatrix m : layer.matrices()) {
                kinds.add(new KernelWarmUp.Kind(m.type(), m.cols()));
            }
        }
        if (output != null) {
            kinds.add(new KernelWarmUp.Kind(output.type(), output.cols()));
        }
        return kinds;
    }

    /** Bytes of weights read to push one token through this shard. */
    public long weightBytesPerToken() {
        long bytes = 0;
        for (LayerWeights layer : layers) {
            bytes += layer.weightBytes();
        }
        if (output != null) {
            bytes += output.type().byteSize((long) output.rows() * output.cols());
        }
        return bytes;
    }

    @Override
    public void close() {
        // The engine has stopped multiplying: the packed weights go with the file.
        packed.close();
        file.close();
    }

    /** Looks up tensors by llama.cpp's names and checks their shapes. */
    private record Loader(GgufFile file, ModelConfig config, Arena packed) {

        LayerWeights layer(int n) {
            String p = "blk." + n + ".";
            int embd = config.embeddingLength();
            int ff = config.feedForwardLength();
            return new LayerWeights(
                    vector(p + "attn_norm.weight", embd),
                    matrix(p + "attn_q.weight", config.queryDim(), embd),
                    matrix(p + "attn_k.weight", config.kvDim(), embd),
                    matrix(p + "attn_v.weight", config.kvDim(), embd),
                    optionalVector(p + "attn_q.bias", config.queryDim()).orElse(null),
                    optionalVector(p + "attn_k.bias", config.kvDim()).orElse(null),
                    optionalVector(p + "attn_v.bias", config.kvDim()).orElse(null),
                    matrix(p + "attn_output.weight", embd, config.queryDim()),
                    vector(p + "ffn_norm.weight", embd),
                    matrix(p + "ffn_gate.weight", ff, embd),
                    matrix(p + "ffn_up.weight", ff, embd),
                    matrix(p + "ffn_down.weight", embd, ff));
        }

        /**
         * A matrix the kernels multiply: packed into the shard's arena where its type has packed
         * kernels, after which the file's pages of it are let go (they count as this process's
         * memory while mapped in); else read in place, its pages loaded now rather than during
         * the first token.
         */
        WeightMatrix matrix(String name, int rows, int cols) {
            TensorInfo info = checkedMatrix(name, rows, cols);
            MemorySegment data = file.tensorData(info);
            data.load();
            WeightMatrix matrix = WeightMatrix.of(info.type(), data, rows, cols, packed);
            if (matrix.packedBytes() > 0 && data.isMapped()) {
                data.unload();
            }
            return matrix;
        }

        /** The token embedding: read row by row, in place. */
        RowTable rowTable(String name, int rows, int cols) {
            TensorInfo info = checkedMatrix(name, rows, cols);
            return WeightMatrix.rowTable(info.type(), file.tensorData(info), rows, cols);
        }

        private TensorInfo checkedMatrix(String name, int rows, int cols) {
            TensorInfo info = file.tensor(name);
            long[] shape = info.shape();
            if (shape.length != 2 || shape[0] != cols || shape[1] != rows) {
                throw new GgufException(file.path() + ": tensor " + name + " should have shape ["
                        + cols + ", " + rows + "] but has " + Arrays.toString(shape));
            }
            return info;
        }

        float[] vector(String name, int length) {
            TensorInfo info = file.tensor(name);
            return readVector(info, length);
        }

        Optional<float[]> optionalVector(String name, int length) {
            return file.findTensor(name).map(info -> readVector(info, length));
        }

        private float[] readVector(TensorInfo info, int length) {
            if (info.elementCount() != length) {
                throw new GgufException(file.path() + ": tensor " + info.name() + " should have "
                        + length + " elements but has " + info.elementCount());
            }
            if (info.type() != GgmlType.F32 && info.type() != GgmlType.F16 && info.type() != GgmlType.BF16) {
                throw new GgufException(file.path() + ": tensor " + info.name()
                        + " should be F32, F16 or BF16 but is " + info.type());
            }
            float[] values = new float[length];
            MemorySegment data = file.tensorData(info);
            Quantizer.dequantize(info.type(), data, 0, values, 0, length);
            return values;
        }
    }
}
