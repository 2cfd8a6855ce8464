package io.llmswarm.engine.tensor;

import java.util.Objects;

/**
 * Runs matrix multiplications on a dedicated pool of kernel threads (never the common pool);
 * the calling thread works too. Rows are split into chunks of whole cache lines of output, and
 * each chunk multiplies its rows with every activation row, so a weight row read from memory is
 * reused across all tokens of a batch while it is in cache.
 */
public final class MatMul implements AutoCloseable {
    /** Aim for chunks of at least this many weight bytes, so dispatch cost stays small. */
    private static final long MIN_CHUNK_BYTES = 64 * 1024;
    /** Weight bytes of one chunk of a batch, so they stay in L2 while every token tile passes. */
    private static final long MAX_BATCH_CHUNK_BYTES = 384 * 1024;
    /** Chunks per thread: enough for balance when one core is busy with something else. */
    private static final int CHUNKS_PER_THREAD = 8;
    /** 16 floats = one 64-byte cache line of output: chunks never share a line. */
    private static final int ROW_ALIGN = 16;

    private final KernelPool pool;

    public MatMul(int threads) {
        this.pool = new KernelPool(threads, "kernel");
    }

    public int threads() {
        return pool.threads();
    }

    /** {@code out[t * w.rows() + r] = dot(w row r, x row t)}; blocks until done. */
    public void multiply(WeightMatrix w, ActivationBatch x, float[] out) {
        multiply(new WeightMatrix[] {w}, x, new float[][] {out});
    }

    /** Several matrices sharing one input (Q, K, V or gate, up) in one dispatch. */
    public void multiply(WeightMatrix[] ws, ActivationBatch x, float[][] outs) {
        Objects.requireNonNull(x, "x");
        if (ws.length != outs.length) {
            throw new IllegalArgumentException(ws.length + " matrices but " + outs.length + " outputs");
        }
        long totalRows = 0;
        long totalBytes = 0;
        for (int i = 0; i < ws.length; i++) {
            WeightMatrix w = ws[i];
            if (outs[i].length < (long) x.rows() * w.rows()) {
                throw new IllegalArgumentException("output " + i + " holds " + outs[i].length + " floats; "
                        + x.rows() + " x " + w.rows() + " needed");
            }
            if (w.activationFormat() != x.format() || w.cols() != x.cols()) {
                throw new IllegalArgumentException("matrix " + i + " (" + w.type() + ", " + w.rows() + " x " + w.cols()
                        + ") needs " + w.activationFormat() + " activations of " + w.cols() + " cols, got "
                        + x.format() + " of " + x.cols());
            }
            totalRows += w.rows();
            totalBytes += w.type().byteSize((long) w.rows() * w.cols());
        }
        if (totalRows == 0 || x.rows() == 0) {
            return;
        }
        int chunkRows = chunkRows(totalRows, totalBytes, x.rows());
        int[] firstChunk = new int[ws.length + 1];
        for (int i = 0; i < ws.length; i++) {
            firstChunk[i + 1] = firstChunk[i] + (ws[i].rows() + chunkRows - 1) / chunkRows;
        }
        pool.run(firstChunk[ws.length], chunk -> {
            int m = 0;
            while (chunk >= firstChunk[m + 1]) {
                m++;
            }
            WeightMatrix w = ws[m];
            int start = (chunk - firstChunk[m]) * chunkRows;
            w.multiply(x, outs[m], w.rows(), start, Math.min(w.rows(), start + chunkRows));
        });
    }

    private int chunkRows(long totalRows, long totalBytes, int tokens) {
        long weightBytesPerRow = Math.max(1, totalBytes / totalRows);
        long bytesPerRow = weightBytesPerRow * tokens;
        long byBalance = totalRows / ((long) pool.threads() * CHUNKS_PER_THREAD);
        long byCost = (MIN_CHUNK_BYTES + bytesPerRow - 1) / bytesPerRow;
        long rows = Math.max(byBalance, byCost);
        if (tokens > 1) {
            // A batch reads its rows once per tile of tokens: keep them in cache for that.
            rows = Math.min(rows, Math.max(1, MAX_BATCH_CHUNK_BYTES / weightBytesPerRow));
        }
        rows = (rows + ROW_ALIGN - 1) / ROW_ALIGN * ROW_ALIGN;
        return (int) Math.min(rows, Integer.MAX_VALUE - ROW_ALIGN);
    }

    /**
     * Runs {@code task} over {@code [0, n)} split into contiguous ranges on the same pool (for
     * other ops, e.g. attention heads); blocks until done.
     */
    public void parallelFor(int n, IntRangeTask task) {
        if (n <= 0) {
            return;
        }
        int chunks = Math.min(n, pool.threads() * 4);
        pool.run(chunks, chunk -> {
            int start = (int) ((long) n * chunk / chunks);
            int end = (int) ((long) n * (chunk + 1) / chunks);
            task.run(start, end);
        });
    }

    @Override
    public void close() {
        pool.close();
    }
}
