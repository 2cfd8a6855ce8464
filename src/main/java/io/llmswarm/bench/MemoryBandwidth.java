package io.llmswarm.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Measures how fast this machine reads memory: threads sum disjoint slices of a large off-heap
 * buffer with the Vector API, and the best of several passes counts. Decoding one token reads
 * every weight once, so this rate over the bytes of weights is the ceiling on tokens per second.
 */
public final class MemoryBandwidth {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final long GIB = 1L << 30;

    private final long bufferBytes;
    private final int passes;

    /** @param bufferBytes size of the buffer read (far above the caches: 1 GiB is a good choice)
     *  @param passes      how many timed passes; the fastest counts */
    public MemoryBandwidth(long bufferBytes, int passes) {
        if (bufferBytes < (1L << 20) || bufferBytes % (SPECIES.vectorByteSize() * 4L) != 0) {
            throw new IllegalArgumentException("buffer must be at least 1 MiB and a multiple of "
                    + SPECIES.vectorByteSize() * 4 + " bytes, got " + bufferBytes);
        }
        if (passes < 1) {
            throw new IllegalArgumentException("passes must be >= 1, got " + passes);
        }
        this.bufferBytes = bufferBytes;
        this.passes = passes;
    }

    public static MemoryBandwidth oneGib() {
        return new MemoryBandwidth(GIB, 5);
    }

    /** Read bandwidth in GB/s (10^9 bytes per second) with {@code threads} threads. */
    public double measureGbPerSecond(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        try (Arena arena = Arena.ofShared(); ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            MemorySegment buffer = arena.allocate(bufferBytes, 64);
            // Touch every page with distinct values so the reads hit real memory.
            for (long offset = 0; offset < bufferBytes; offset += Float.BYTES) {
                buffer.set(ValueLayout.JAVA_FLOAT_UNALIGNED, offset, (float) (offset & 1023));
            }
            long slice = bufferBytes / threads / (SPECIES.vectorByteSize() * 4L) * (SPECIES.vectorByteSize() * 4L);
            double best = 0;
            float guard = 0;
            for (int pass = 0; pass < passes + 1; pass++) { // the first pass warms up the JIT
                long start = System.nanoTime();
                Future<?>[] parts = new Future<?>[threads];
                float[] sums = new float[threads];
                for (int t = 0; t < threads; t++) {
                    int index = t;
                    MemorySegment part = buffer.asSlice(t * slice, slice);
                    parts[t] = pool.submit(() -> sums[index] = sum(part));
                }
                for (Future<?> part : parts) {
                    part.get();
                }
                long elapsed = System.nanoTime() - start;
                for (float sum : sums) {
                    guard += sum;
                }
                if (pass > 0) {
                    best = Math.max(best, slice * (double) threads / elapsed);
                }
            }
            if (Float.isNaN(guard)) {
                throw new IllegalStateException("the sums came out NaN");
            }
            return best;
        } catch (Exception e) {
            throw new IllegalStateException("memory bandwidth measurement failed", e);
        }
    }

    /** Sums a slice with four independent accumulators so loads, not adds, bound the loop. */
    static float sum(MemorySegment segment) {
        int step = SPECIES.vectorByteSize();
        FloatVector a = FloatVector.zero(SPECIES);
        FloatVector b = a;
        FloatVector c = a;
        FloatVector d = a;
        long size = segment.byteSize();
        for (long offset = 0; offset < size; offset += 4L * step) {
            a = a.add(FloatVector.fromMemorySegment(SPECIES, segment, offset, ByteOrder.LITTLE_ENDIAN));
            b = b.add(FloatVector.fromMemorySegment(SPECIES, segment, offset + step, ByteOrder.LITTLE_ENDIAN));
            c = c.add(FloatVector.fromMemorySegment(SPECIES, segment, offset + 2L * step, ByteOrder.LITTLE_ENDIAN));
            d = d.add(FloatVector.fromMemorySegment(SPECIES, segment, offset + 3L * step, ByteOrder.LITTLE_ENDIAN));
        }
        return a.add(b).add(c).add(d).reduceLanes(VectorOperators.ADD);
    }

    /** Prints the bandwidth with one thread and with {@code args[0]} (default: all cores) threads. */
    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        MemoryBandwidth meter = oneGib();
        System.out.printf("read bandwidth, 1 thread: %.1f GB/s%n", meter.measureGbPerSecond(1));
        System.out.printf("read bandwidth, %d threads: %.1f GB/s%n", threads, meter.measureGbPerSecond(threads));
    }
}
