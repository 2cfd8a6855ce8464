package io.llmswarm.engine;

import io.llmswarm.engine.tensor.VectorWidth;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise steps of a transformer block, with llama.cpp's order of rounding where it
 * matters for matching its output (RMSNorm sums squares in double, as ggml does).
 */
final class TransformerOps {

    private static final VectorSpecies<Float> F = VectorWidth.floats();

    private TransformerOps() {
    }

    /** out = x / rms(x) * weight, one row of {@code n} values. */
    static void rmsNorm(float[] out, int outOffset, float[] x, int xOffset, float[] weight, int n, float eps) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xOffset + i];
            sum += v * v;
        }
        double mean = sum / n;
        float scale = (float) (1.0f / Math.sqrt((float) (mean + eps)));
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, xOffset + i).mul(scale);
            v.mul(FloatVector.fromArray(F, weight, i)).intoArray(out, outOffset + i);
        }
        for (; i < n; i++) {
            out[outOffset + i] = (x[xOffset + i] * scale) * weight[i];
        }
    }

    /** x[i] += y[i] for {@code n} values. */
    static void add(float[] x, int xOffset, float[] y, int yOffset, int n) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xOffset + i).add(FloatVector.fromArray(F, y, yOffset + i))
                    .intoArray(x, xOffset + i);
        }
        for (; i < n; i++) {
            x[xOffset + i] += y[yOffset + i];
        }
    }

    /** x[row][i] += bias[i] for each of {@code rows} rows of {@code n}. */
    static void addBias(float[] x, float[] bias, int rows, int n) {
        for (int r = 0; r < rows; r++) {
            add(x, r * n, bias, 0, n);
        }
    }

    /** gate[i] = silu(gate[i]) * up[i], as ggml's silu followed by mul. */
    static void siluMultiply(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[i];
            float silu = g / (1.0f + (float) Math.exp(-g));
            gate[i] = silu * up[i];
        }
    }

    /** Rounds a float to the nearest half-precision value, as a float. */
    static float toHalf(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }
}
