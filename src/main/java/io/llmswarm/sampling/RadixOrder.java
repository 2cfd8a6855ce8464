package io.llmswarm.sampling;

import java.util.Arrays;

/**
 * Sorts token ids best first by score with a stable LSD radix sort on the scores' bits: four
 * 8-bit passes, O(n), several times faster than a heap sort over a whole 150k vocabulary. Its
 * buffers are kept, so sorting does not allocate after the first use. Stable: ties keep their
 * input order, which is the lower id first when the ids come in ascending order.
 */
final class RadixOrder {

    private final int[] counts = new int[257];
    private int[] keys = new int[0];
    private int[] spareIds = new int[0];
    private int[] spareKeys = new int[0];

    /** Sorts {@code ids[0..size)} by {@code scores[id]}, largest first. */
    void sort(int[] ids, int size, float[] scores) {
        if (keys.length < size) {
            keys = new int[size];
            spareIds = new int[size];
            spareKeys = new int[size];
        }
        for (int i = 0; i < size; i++) {
            keys[i] = descendingKey(scores[ids[i]]);
        }
        int[] fromIds = ids;
        int[] fromKeys = keys;
        int[] toIds = spareIds;
        int[] toKeys = spareKeys;
        for (int shift = 0; shift < 32; shift += 8) {
            Arrays.fill(counts, 0);
            for (int i = 0; i < size; i++) {
                counts[((fromKeys[i] >>> shift) & 0xff) + 1]++;
            }
            for (int digit = 0; digit < 256; digit++) {
                counts[digit + 1] += counts[digit];
            }
            for (int i = 0; i < size; i++) {
                int at = counts[(fromKeys[i] >>> shift) & 0xff]++;
                toIds[at] = fromIds[i];
                toKeys[at] = fromKeys[i];
            }
            int[] swap = fromIds;
            fromIds = toIds;
            toIds = swap;
            swap = fromKeys;
            fromKeys = toKeys;
            toKeys = swap;
        }
        // An even number of passes ends in the arrays it started from: the result is in ids.
    }

    /** A key whose unsigned order is the scores' descending order (-0 counts as +0). */
    static int descendingKey(float score) {
        int bits = Float.floatToRawIntBits(score + 0.0f);
        int ascending = bits < 0 ? ~bits : bits ^ 0x80000000;
        return ~ascending;
    }
}
