package io.llmswarm.cli;

import io.llmswarm.cluster.ClusterSettings;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * What a node says loudly at start when it is reachable beyond this machine without protection:
 * an HTTP gateway on a non-loopback host without API keys, or with keys but without HTTPS (the keys
 * would cross the network in clear), or a cluster host beyond loopback
 * without a cluster secret or without TLS on the event bus.
 */
public final class SecurityWarnings {

    private static final String BANNER = "WARNING ********************************************************";

    private SecurityWarnings() {
    }

    /** The warning lines, empty when there is nothing to warn about. */
    public static List<String> of(NodeSettings settings) {
        List<String> problems = new ArrayList<>();
        if (!isLoopback(settings.gateway().host()) && !settings.gateway().apiKeys().enabled()) {
            problems.add("the HTTP API listens on " + settings.gateway().host() + ":" + settings.httpPort()
                    + " with no API key: anyone who reaches it can run generations. Set --api-keys-file or "
                    + "LLMSWARM_API_KEYS, or --http-host 127.0.0.1.");
        }
        if (!isLoopback(settings.gateway().host()) && settings.gateway().apiKeys().enabled()
                && !settings.gateway().https()) {
            problems.add("the HTTP API listens on " + settings.gateway().host() + ":" + settings.httpPort()
                    + " without HTTPS: API keys and prompts cross the network in clear. Set --https-cert and "
                    + "--https-key, or --http-host 127.0.0.1.");
        }
        ClusterSettings cluster = settings.cluster();
        if (!isLoopback(cluster.host()) || cluster.multicast()) {
            if (!cluster.security().secret().enabled()) {
                problems.add("the cluster listens on " + cluster.host() + " with no cluster secret: any process that "
                        + "joins can announce shards and send steps. Set --cluster-secret-file or LLMSWARM_CLUSTER_SECRET.");
            }
            if (!cluster.security().tlsEnabled()) {
                problems.add("the event bus on " + cluster.host() + " is not encrypted: prompts and hidden states "
                        + "cross the network in clear. Set --cluster-tls-key, --cluster-tls-cert and --cluster-tls-trust.");
            }
        }
        if (problems.isEmpty()) {
            return List.of();
        }
        List<String> lines = new ArrayList<>();
        lines.add(BANNER);
        problems.forEach(p -> lines.add("WARNING: " + p));
        lines.add(BANNER);
        return lines;
    }

    static boolean isLoopback(String host) {
        if (host.equals("localhost")) {
            return true;
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
