package io.llmswarm.engine;

/**
 * Rotary position embedding as llama.cpp computes it: the angle of pair i is
 * {@code pos * base^(-2i/d)}, built by repeated multiplication in float, divided by an optional
 * per-frequency factor (Llama 3.1's {@code rope_freqs}) and multiplied by the linear scale.
 */
final class Rope {

    private final int dims;
    private final RopeStyle style;
    private final float thetaScale;
    private final float freqScale;
    private final float[] factors;
    private final float[] cos;
    private final float[] sin;

    Rope(ModelConfig config, float[] factors) {
        this.dims = config.ropeDimensions();
        this.style = config.ropeStyle();
        this.thetaScale = (float) Math.pow(config.ropeFreqBase(), -2.0f / dims);
        this.freqScale = config.ropeFreqScale();
        this.factors = factors;
        this.cos = new float[dims / 2];
        this.sin = new float[dims / 2];
    }

    /** Rotates {@code heads} heads of size {@code headDim} stored from {@code offset}, at one position. */
    void apply(float[] x, int offset, int heads, int headDim, int position) {
        float theta = position;
        for (int i = 0; i < dims / 2; i++) {
            float ff = factors == null ? 1.0f : factors[i];
            double angle = freqScale * (theta / ff);
            cos[i] = (float) Math.cos(angle);
            sin[i] = (float) Math.sin(angle);
            theta *= thetaScale;
        }
        int half = dims / 2;
        for (int h = 0; h < heads; h++) {
            int base = offset + h * headDim;
            for (int i = 0; i < half; i++) {
                int a = style == RopeStyle.NORMAL ? base + 2 * i : base + i;
                int b = style == RopeStyle.NORMAL ? a + 1 : a + half;
                float x0 = x[a];
                float x1 = x[b];
                x[a] = x0 * cos[i] - x1 * sin[i];
                x[b] = x0 * sin[i] + x1 * cos[i];
            }
        }
    }
}
