package io.llmswarm.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoopbackPortsTest {

    @Test
    void givesDistinctPortsThatCanBeBoundOutsideTheRangeForOutgoingConnections() throws Exception {
        List<Integer> ports = LoopbackPorts.free(6);
        assertEquals(6, new HashSet<>(ports).size(), ports.toString());
        Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        int ephemeralStart = Files.exists(range) ? Integer.parseInt(Files.readString(range).strip().split("\\s+")[0]) : 49_152;
        for (int port : ports) {
            if (ephemeralStart > 20_000) {
                assertTrue(port >= 20_000 && port < ephemeralStart, port + " is not below " + ephemeralStart);
            }
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                assertEquals(port, socket.getLocalPort());
            }
        }
    }
}
