package io.llmswarm.cluster;

/** A swarm's admission: the shared secret (or none) and the event bus's TLS (or none). */
public record ClusterSecurity(ClusterSecret secret, ClusterTls tls) {

    public ClusterSecurity {
        if (secret == null) {
            secret = ClusterSecret.none();
        }
    }

    public static ClusterSecurity none() {
        return new ClusterSecurity(ClusterSecret.none(), null);
    }

    public boolean tlsEnabled() {
        return tls != null;
    }
}
