package io.llmswarm.engine.tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * A reusable buffer of activation rows {@code [rows, cols]} encoded in one {@link ActivationFormat}.
 * Quants are kept as integer-valued floats so that kernels can multiply them with FMA: the
 * products of small integers summed over a block stay exact in float32.
 *
 * <p>Encodings follow llama.cpp's x86 CPU backend (AVX2 build): Q8_0/Q8_1 scale by
 * {@code 127/amax} and round half to even ({@code _mm256_round_ps}); Q8_K uses
 * {@code iscale = -127/max} (max being the value of largest magnitude), rounds half to even
 * ({@code nearest_int}) and clamps at 127; fp16 and bf16 round to nearest even.
 */
public final class ActivationBatch {
    static final int Q8_K_SUM_GROUP = 16;

    private final ActivationFormat format;
    private final int maxRows;
    private final int cols;
    private final float[] values;
    private final float[] scales;
    private final float[] sums;
    private final int[] groupSums;
    private final float[] quantSums;
    private final short[] shortQuants;
    private int rows;

    public ActivationBatch(ActivationFormat format, int maxRows, int cols) {
        this.format = Objects.requireNonNull(format, "format");
        if (maxRows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("activation batch needs positive rows and cols, got " + maxRows + " x " + cols);
        }
        if (cols % format.blockSize() != 0) {
            throw new IllegalArgumentException("activation format " + format + " needs cols to be a multiple of "
                    + format.blockSize() + ", got " + cols);
        }
        this.maxRows = maxRows;
        this.cols = cols;
        this.values = new float[Math.multiplyExact(maxRows, cols)];
        int blocks = maxRows * (cols / format.blockSize());
        boolean blocked = format.blockSize() > 1;
        this.scales = blocked ? new float[blocks] : new float[0];
        this.sums = format == ActivationFormat.Q8_1 ? new float[blocks] : new float[0];
        this.quantSums = format == ActivationFormat.Q8_0 ? new float[blocks] : new float[0];
        boolean shorts = format == ActivationFormat.Q8_0 || format == ActivationFormat.Q8_K;
        this.shortQuants = shorts ? new short[values.length] : new short[0];
        this.groupSums = format == ActivationFormat.Q8_K ? new int[maxRows * (cols / Q8_K_SUM_GROUP)] : new int[0];
    }

    /** Encodes {@code rows} rows of {@code cols} floats, row-major, starting at {@code x[xOffset]}. */
    public void encode(float[] x, int xOffset, int rows) {
        if (rows < 0 || rows > maxRows) {
            throw new IllegalArgumentException("batch holds at most " + maxRows + " rows, asked to encode " + rows);
        }
        Objects.checkFromIndexSize(xOffset, rows * cols, x.length);
        int n = rows * cols;
        switch (format) {
            case F32 -> System.arraycopy(x, xOffset, values, 0, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    values[i] = Float.float16ToFloat(Float.floatToFloat16(x[xOffset + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    values[i] = roundToBf16(x[xOffset + i]);
                }
            }
            case Q8_0, Q8_1 -> {
                for (int b = 0; b < n / 32; b++) {
                    encodeQ8Block(x, xOffset + b * 32, b);
                }
            }
            case Q8_K -> {
                for (int b = 0; b < n / 256; b++) {
                    encodeQ8KBlock(x, xOffset + b * 256, b);
                }
            }
        }
        this.rows = rows;
    }

    private void encodeQ8Block(float[] x, int from, int block) {
        float amax = 0;
        for (int i = 0; i < 32; i++) {
            amax = Math.max(amax, Math.abs(x[from + i]));
        }
        float d = amax / 127f;
        float inverse = amax != 0 ? 127f / amax : 0f;
        int base = block * 32;
        int sum = 0;
        for (int i = 0; i < 32; i++) {
            float q = (float) Math.rint(x[from + i] * inverse);
            values[base + i] = q;
            sum += (int) q;
        }
        if (format == ActivationFormat.Q8_0) {
            for (int i = 0; i < 32; i++) {
                shortQuants[base + i] = (short) values[base + i];
            }
        }
        scales[block] = roundToF16(d);
        if (format == ActivationFormat.Q8_1) {
            sums[block] = roundToF16(d * sum);
        } else {
            quantSums[block] = sum;
        }
    }

    private void encodeQ8KBlock(float[] x, int from, int block) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < 256; i++) {
            float ax = Math.abs(x[from + i]);
            if (ax > amax) {
                amax = ax;
                max = x[from + i];
            }
        }
        int base = block * 256;
        int groupBase = block * (256 / Q8_K_SUM_GROUP);
        if (amax == 0) {
            scales[block] = 0;
            Arrays.fill(values, base, base + 256, 0f);
            Arrays.fill(shortQuants, base, base + 256, (short) 0);
            Arrays.fill(groupSums, groupBase, groupBase + 256 / Q8_K_SUM_GROUP, 0);
            return;
        }
        float iscale = -127f / max;
        for (int g = 0; g < 256 / Q8_K_SUM_GROUP; g++) {
            int sum = 0;
            for (int i = g * Q8_K_SUM_GROUP; i < (g + 1) * Q8_K_SUM_GROUP; i++) {
                int q = Math.min(127, (int) Math.rint(iscale * x[from + i]));
                values[base + i] = q;
                shortQuants[base + i] = (short) q;
                sum += q;
            }
            groupSums[groupBase + g] = sum;
        }
        scales[block] = 1 / iscale;
    }

    static float roundToF16(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    /** fp32 to bf16 as ggml does it: round to nearest even, NaN kept quiet. */
    static float roundToBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        int h;
        if ((bits & 0x7fffffff) > 0x7f800000) {
            h = (bits >>> 16) | 64;
        } else {
            h = (bits + (0x7fff + ((bits >>> 16) & 1))) >>> 16;
        }
        return Float.intBitsToFloat(h << 16);
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public ActivationFormat format() {
        return format;
    }

    public int maxRows() {
        return maxRows;
    }

    /** Encoded values, row-major: rounded floats, or integer-valued quants for Q8 formats. */
    float[] values() {
        return values;
    }

    /** Per block: the fp16-rounded scale (Q8_0, Q8_1) or float scale (Q8_K). */
    float[] scales() {
        return scales;
    }

    /** Q8_1 only, per block: {@code fp16(d * sum(q))}. */
    float[] sums() {
        return sums;
    }

    /** Q8_0 only, per block: the plain sum of its quants (lets kernels fold a weight offset out). */
    float[] quantSums() {
        return quantSums;
    }

    /** Q8_0 and Q8_K only: the quants again as 16-bit integers, for kernels that multiply in 16-bit lanes. */
    short[] shortQuants() {
        return shortQuants;
    }

    /** Q8_K only, per 16 values: the sum of their quants. */
    int[] groupSums() {
        return groupSums;
    }
}
