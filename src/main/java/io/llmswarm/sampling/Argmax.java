package io.llmswarm.sampling;

/** The index of the largest value; ties go to the lowest index, NaN is refused. */
public final class Argmax {

    private Argmax() {
    }

    public static int of(float[] values, int length) {
        if (length < 1 || length > values.length) {
            throw new IllegalArgumentException(
                    "length must be in [1, " + values.length + "], got " + length);
        }
        int best = 0;
        float bestValue = values[0];
        for (int i = 0; i < length; i++) {
            float value = values[i];
            if (value != value) {
                throw new IllegalArgumentException("logits hold NaN at token " + i);
            }
            if (value > bestValue) {
                bestValue = value;
                best = i;
            }
        }
        return best;
    }
}
