package io.llmswarm.gguf;

/**
 * Llama 3.1-style RoPE frequency scaling. llama.cpp does not read these numbers: it reads the
 * per-dimension factors they imply, stored as the F32 tensor {@code rope_freqs.weight}, which
 * {@link #factors} computes as llama.cpp's converter does.
 *
 * @param factor how much the low frequencies are slowed (8 for Llama 3.1)
 * @param lowFreqFactor wavelengths above originalContextLength / lowFreqFactor get {@code factor}
 * @param highFreqFactor wavelengths below originalContextLength / highFreqFactor stay unscaled
 * @param originalContextLength the context the model was trained for (8192 for Llama 3.1)
 */
public record RopeScaling(float factor, float lowFreqFactor, float highFreqFactor, int originalContextLength) {

    public RopeScaling {
        if (lowFreqFactor == highFreqFactor) {
            throw new IllegalArgumentException("low and high frequency factors must differ, both were " + lowFreqFactor);
        }
    }

    /** Llama 3.1's settings. */
    public static RopeScaling llama31() {
        return new RopeScaling(8f, 1f, 4f, 8192);
    }

    /**
     * The {@code headDim / 2} factors by which llama.cpp divides each rotary frequency: 1 for
     * short wavelengths, {@code factor} for long ones, a smooth blend in between. Computed in
     * float precision as the converter's float32 tensors are.
     */
    public float[] factors(int headDim, float freqBase) {
        float lowFreqWavelength = originalContextLength / lowFreqFactor;
        float highFreqWavelength = originalContextLength / highFreqFactor;
        float[] factors = new float[headDim / 2];
        for (int i = 0; i < factors.length; i++) {
            float freq = 1.0f / (float) Math.pow(freqBase, (float) (2 * i) / headDim);
            float wavelength = (float) (2 * Math.PI) / freq;
            if (wavelength < highFreqWavelength) {
                factors[i] = 1f;
            } else if (wavelength > lowFreqWavelength) {
                factors[i] = factor;
            } else {
                float smooth = (originalContextLength / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                factors[i] = 1f / ((1 - smooth) / factor + smooth);
            }
        }
        return factors;
    }
}
