package io.llmswarm.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** Free TCP ports, for members of a swarm that runs on one host (the demo, tests). */
public final class LoopbackPorts {
    /** Where the search starts: below the usual ephemeral range, above most services. */
    private static final int LOWEST = 20_000;
    private static final int ATTEMPTS = 200;

    private LoopbackPorts() {
    }

    /**
     * {@code n} distinct ports free right now (all held open together, so none repeats). They are
     * taken below the kernel's range for outgoing connections where there is room, because the
     * members bind them one after another: a port from that range may meanwhile become the local
     * end of some connection (a member's own) and the next member's bind would fail.
     */
    public static List<Integer> free(int n) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int ephemeralStart = ephemeralRangeStart();
            for (int attempt = 0; sockets.size() < n && attempt < ATTEMPTS && ephemeralStart > LOWEST; attempt++) {
                int port = ThreadLocalRandom.current().nextInt(LOWEST, ephemeralStart);
                try {
                    sockets.add(new ServerSocket(port, 1, InetAddress.getLoopbackAddress()));
                } catch (IOException taken) {
                    // try another
                }
            }
            while (sockets.size() < n) {
                sockets.add(new ServerSocket(0));
            }
            return sockets.stream().map(ServerSocket::getLocalPort).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find " + n + " free ports", e);
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // the port is free either way
                }
            }
        }
    }

    /** The first port the kernel hands to outgoing connections (Linux), else the IANA default. */
    static int ephemeralRangeStart() {
        try {
            // Line by line: Files.readString trusts the size a /proc file reports and read "3" of "32768 60999".
            String range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).getFirst().strip();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 49_152;
        }
    }
}
