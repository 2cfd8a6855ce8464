package io.llmswarm.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The resident memory of this process as Linux reports it in {@code /proc/self/status}:
 * {@code VmHWM} is the peak resident set, {@code VmRSS} the current one. Memory-mapped model
 * pages that were touched count, which is what a node's footprint is.
 */
public final class PeakMemory {

    private static final Path STATUS = Path.of("/proc/self/status");

    private PeakMemory() {
    }

    /** Peak resident memory of this process in MiB, or -1 where /proc is not available. */
    public static double peakResidentMib() {
        return readKib(STATUS, "VmHWM:") / 1024.0;
    }

    /** Current resident memory of this process in MiB, or -1 where /proc is not available. */
    public static double residentMib() {
        return readKib(STATUS, "VmRSS:") / 1024.0;
    }

    /** The value in KiB of a {@code Name:   123 kB} line of a /proc status file; -1 without the file. */
    static long readKib(Path status, String field) {
        if (!Files.isReadable(status)) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith(field)) {
                    String value = line.substring(field.length()).trim();
                    if (!value.endsWith("kB")) {
                        throw new IllegalStateException(status + ": expected '" + field + " <n> kB', found '" + line + "'");
                    }
                    return Long.parseLong(value.substring(0, value.length() - 2).trim());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + status, e);
        }
        throw new IllegalStateException(status + " has no " + field + " line");
    }
}
