package io.llmswarm.sampling;

/**
 * The last step of sampling, done as llama.cpp's {@code dist} sampler does it so that a seed
 * means the same thing here as there: the candidates are ordered most likely first, their logits
 * divided by the temperature, turned into float probabilities (exp of the distance to the best,
 * normalised by their float sum), and one is drawn like {@code std::discrete_distribution} does
 * with {@code std::mt19937}: a cumulative table in double, its last entry forced to 1, and the
 * first entry not below a {@code generate_canonical} draw. A single candidate is taken without
 * drawing, as there.
 */
public final class CategoricalDraw {

    private final float temperature;
    private final Mt19937 random;
    private double[] cumulative = new double[0];
    private long draws;

    /** @param seed its low 32 bits seed the generator, as llama.cpp's 32-bit seed does */
    public CategoricalDraw(float temperature, long seed) {
        if (!(temperature > 0f)) {
            throw new IllegalArgumentException("a random draw needs a temperature > 0, got " + temperature);
        }
        this.temperature = temperature;
        this.random = new Mt19937((int) seed);
    }

    public int draw(Candidates candidates) {
        if (!candidates.isSorted()) {
            candidates.keepTop(candidates.size());
        }
        int size = candidates.size();
        int[] ids = candidates.ids();
        if (size == 1) {
            return ids[0];
        }
        float[] scores = candidates.scores();
        float[] weights = candidates.weights();
        float max = scores[ids[0]] / temperature;
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("every candidate token has a logit of -infinity");
        }
        float floatSum = 0f;
        for (int i = 0; i < size; i++) {
            float weight = (float) Math.exp(scores[ids[i]] / temperature - max);
            weights[i] = weight;
            floatSum += weight;
        }
        double sum = 0;
        for (int i = 0; i < size; i++) {
            weights[i] /= floatSum;
            sum += weights[i];
        }
        if (cumulative.length < size) {
            cumulative = new double[candidates.vocabSize()];
        }
        double running = 0;
        for (int i = 0; i < size; i++) {
            running += weights[i] / sum;
            cumulative[i] = running;
        }
        cumulative[size - 1] = 1.0;
        draws++;
        return ids[firstAtLeast(cumulative, size, random.nextCanonical())];
    }

    /** The first index whose value is at least {@code target} ({@code std::lower_bound}). */
    private static int firstAtLeast(double[] sorted, int size, double target) {
        int low = 0;
        int high = size;
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (sorted[middle] < target) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        return low;
    }

    /** Random draws taken so far (a single candidate is taken without one). */
    public long draws() {
        return draws;
    }

    /** Advances the generator past {@code count} draws, as if they had been taken. */
    public void skipDraws(long count) {
        for (long i = 0; i < count; i++) {
            random.nextCanonical();
        }
        draws += count;
    }
}
