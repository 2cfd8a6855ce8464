package io.llmswarm.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/** Free TCP ports, for members of a swarm that runs on one host (the demo, tests). */
public final class LoopbackPorts {

    private LoopbackPorts() {
    }

    /** {@code n} distinct ports free right now (all held open together, so none repeats). */
    public static List<Integer> free(int n) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
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
}
