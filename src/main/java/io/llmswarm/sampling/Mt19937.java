package io.llmswarm.sampling;

/**
 * The 32-bit Mersenne Twister, as C++'s {@code std::mt19937}, which llama.cpp's sampler seeds
 * with the request's seed. With the same seed it gives the same numbers as llama.cpp's sampler.
 */
final class Mt19937 {

    private static final int N = 624;
    private static final int M = 397;
    private static final int MATRIX_A = 0x9908b0df;
    private static final int UPPER_MASK = 0x80000000;
    private static final int LOWER_MASK = 0x7fffffff;
    private static final double TWO_POW_32 = 4294967296.0;

    private final int[] state = new int[N];
    private int index;

    Mt19937(int seed) {
        state[0] = seed;
        for (int i = 1; i < N; i++) {
            int previous = state[i - 1];
            state[i] = 1812433253 * (previous ^ (previous >>> 30)) + i;
        }
        index = N;
    }

    /** The next 32-bit output, as an unsigned value in a long. */
    long nextUnsigned() {
        if (index >= N) {
            twist();
        }
        int y = state[index++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return Integer.toUnsignedLong(y);
    }

    /**
     * A double in [0, 1) as libstdc++'s {@code generate_canonical<double, 53>} makes it from two
     * outputs: (first + second * 2^32) / 2^64, kept below 1.
     */
    double nextCanonical() {
        double sum = nextUnsigned();
        sum += nextUnsigned() * TWO_POW_32;
        double value = sum / (TWO_POW_32 * TWO_POW_32);
        return value >= 1.0 ? Math.nextDown(1.0) : value;
    }

    private void twist() {
        for (int i = 0; i < N; i++) {
            int y = (state[i] & UPPER_MASK) | (state[(i + 1) % N] & LOWER_MASK);
            int next = state[(i + M) % N] ^ (y >>> 1);
            state[i] = (y & 1) != 0 ? next ^ MATRIX_A : next;
        }
        index = 0;
    }
}
