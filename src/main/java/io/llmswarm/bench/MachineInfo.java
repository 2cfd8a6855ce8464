package io.llmswarm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the benchmark report says about the machine it ran on. */
final class MachineInfo {

    private MachineInfo() {
    }

    /** The processor's model name from /proc/cpuinfo, or the OS architecture where that is missing. */
    static String cpuModel() {
        Path cpuInfo = Path.of("/proc/cpuinfo");
        try {
            if (Files.isReadable(cpuInfo)) {
                for (String line : Files.readAllLines(cpuInfo)) {
                    if (line.startsWith("model name")) {
                        return line.substring(line.indexOf(':') + 1).trim();
                    }
                }
            }
        } catch (IOException e) {
            // fall through to the architecture
        }
        return System.getProperty("os.arch");
    }

    /** The 1-minute load average: on a shared machine it says how far to trust a timing. */
    static String loadAverage() {
        Path loadAverage = Path.of("/proc/loadavg");
        try {
            if (Files.isReadable(loadAverage)) {
                return Files.readString(loadAverage).split(" ")[0];
            }
        } catch (IOException e) {
            // fall through
        }
        return "unknown";
    }
}
