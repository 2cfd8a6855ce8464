package io.llmswarm.cluster;

import com.hazelcast.cluster.Address;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The LAN beacon's one line, and when a node sends it. */
class LanBeaconTest {

    @Test
    void aBeaconNamesTheMemberAddressAndOnlyItsOwnSwarmReadsIt() throws Exception {
        String line = LanBeacon.beacon("swarm-x", new Address("10.1.2.3", 5702));
        assertEquals("llmswarm-beacon 1 swarm-x 10.1.2.3 5702", line);
        assertEquals(new Address("10.1.2.3", 5702), LanBeacon.parse("swarm-x", line));
        assertNull(LanBeacon.parse("swarm-y", line), "another swarm's (name or secret)");
        for (String bad : List.of("", "llmswarm-beacon 1 swarm-x 10.1.2.3", "llmswarm-beacon 2 swarm-x 10.1.2.3 5702",
                "llmswarm-beacon 1 swarm-x example.com 5702", "llmswarm-beacon 1 swarm-x 10.1.2.3 70000",
                "llmswarm-beacon 1 swarm-x 10.1.2.3 -1", "llmswarm-beacon 1 swarm-x 10.1.2.3 57x2",
                "llmswarm-beacon 1 swarm-x 10.1.2.999 5702", "something else entirely here")) {
            assertNull(LanBeacon.parse("swarm-x", bad), "dropped: '" + bad + "'");
        }
        assertEquals(5701, LanBeacon.parse("s", "llmswarm-beacon 1 s fe80::1 5701").getPort(), "IPv6 literals too");
    }

    @Test
    void lanDiscoveryIsOnForANodeReachableOnTheLanThatWasToldNoMembers() {
        assertFalse(ClusterSettings.lanDiscovery(null, "127.0.0.1", List.of(), false), "loopback: this machine only");
        assertTrue(ClusterSettings.lanDiscovery(null, "10.1.2.3", List.of(), false));
        assertFalse(ClusterSettings.lanDiscovery(null, "10.1.2.3", List.of("10.1.2.4:5701"), false), "--join: only those");
        assertFalse(ClusterSettings.lanDiscovery(null, "10.1.2.3", List.of(), true), "--no-discovery");
        assertFalse(ClusterSettings.lanDiscovery(false, "10.1.2.3", List.of(), false), "--no-multicast");
        assertTrue(ClusterSettings.lanDiscovery(true, "127.0.0.1", List.of(), false), "--multicast");
        assertFalse(ClusterSettings.lanDiscovery(true, "10.1.2.3", List.of(), true), "--no-discovery wins");
    }
}
