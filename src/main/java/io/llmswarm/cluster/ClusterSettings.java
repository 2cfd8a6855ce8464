package io.llmswarm.cluster;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.stream.IntStream;

/**
 * How a node joins the swarm: the cluster's name, the host and port this member binds (the event
 * bus binds the same host), the members to contact over TCP/IP ({@code host:port} each), and
 * whether to find nodes on the LAN by multicast beacons ({@link LanBeacon}, beside this host's
 * ports); a lite member joins without holding any map data (clients, tests);
 * the cluster secret and event-bus TLS that keep strangers out. {@code portCount} ports from
 * {@code port} may be taken (the first free one); with more than one and no members given, the
 * member looks for the others on those ports of its host, so several nodes on one machine find
 * each other without flags.
 */
public record ClusterSettings(String name, String host, int port, List<String> members, boolean multicast,
                              boolean liteMember, ClusterSecurity security, int portCount) {

    /** Ports a node started without {@code --cluster-port} may take, and looks for its peers on. */
    public static final int DEFAULT_PORT_COUNT = 20;

    /** Without a cluster secret or TLS. */
    public ClusterSettings(String name, String host, int port, List<String> members, boolean multicast,
                           boolean liteMember) {
        this(name, host, port, members, multicast, liteMember, ClusterSecurity.none());
    }

    /** Exactly this port. */
    public ClusterSettings(String name, String host, int port, List<String> members, boolean multicast,
                           boolean liteMember, ClusterSecurity security) {
        this(name, host, port, members, multicast, liteMember, security, 1);
    }

    public ClusterSettings {
        if (security == null) {
            security = ClusterSecurity.none();
        }
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a cluster needs a name");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("the cluster port must be within 1-65535; got " + port);
        }
        if (portCount < 1 || port + portCount - 1 > 65535) {
            throw new IllegalArgumentException("ports " + port + " to " + (port + portCount - 1) + " are not all within 1-65535");
        }
        members = List.copyOf(members);
        for (String member : members) {
            int colon = member.lastIndexOf(':');
            if (colon <= 0 || !member.substring(colon + 1).chars().allMatch(Character::isDigit)
                    || colon == member.length() - 1) {
                throw new IllegalArgumentException("a cluster member looks like host:port (one per entry, no port "
                        + "ranges); got '" + member + "'");
            }
        }
    }

    /**
     * Whether a node looks for others on the LAN by multicast beacons: as asked ({@code --multicast},
     * {@code --no-multicast}), else when it binds a non-loopback address (so LAN nodes can reach it)
     * and was given no members to join; never with {@code --no-discovery}.
     */
    public static boolean lanDiscovery(Boolean asked, String host, List<String> members, boolean noDiscovery) {
        if (noDiscovery) {
            return false;
        }
        if (asked != null) {
            return asked;
        }
        if (!members.isEmpty()) {
            return false;
        }
        try {
            return !InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    public static final String DEFAULT_NAME = "llm-swarm";
    public static final int DEFAULT_PORT = 5701;

    /** This member's own {@code host:port}. */
    public String self() {
        return host + ":" + port;
    }

    public ClusterSettings asLiteMember() {
        return new ClusterSettings(name, host, port, members, multicast, true, security, portCount);
    }

    public ClusterSettings withSecurity(ClusterSecurity value) {
        return new ClusterSettings(name, host, port, members, multicast, liteMember, value, portCount);
    }

    /**
     * The members to contact: those given, or, with several ports and none given, every port of the
     * range on this host (with {@code multicast}, besides the nodes multicast finds on the LAN).
     */
    public List<String> contacts() {
        if (!members.isEmpty() || portCount == 1) {
            return members;
        }
        return IntStream.range(port, port + portCount).mapToObj(p -> host + ":" + p).toList();
    }
}
