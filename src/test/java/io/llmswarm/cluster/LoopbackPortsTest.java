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
        int ephemeralStart = Files.exists(range)
                ? Integer.parseInt(Files.readAllLines(range).getFirst().strip().split("\\s+")[0]) : 49_152;
        // The range is read whole (Files.readString once gave "3" of "32768 60999": every port then came
        // from the kernel's outgoing range, where a member's own connection could take it).
        assertEquals(ephemeralStart, LoopbackPorts.ephemeralRangeStart());
        assertTrue(ephemeralStart > 1024, "ephemeral range from " + ephemeralStart);
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
