package io.llmswarm.cluster;

import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The event bus over TLS ({@code --cluster-tls-key}, {@code --cluster-tls-cert},
 * {@code --cluster-tls-trust}; PEM files): every node presents its certificate and demands one
 * the trust file vouches for, in both directions, so a process without such a certificate can
 * neither send to nor receive from the swarm's event bus.
 */
public record ClusterTls(Path key, Path cert, Path trust) {

    public ClusterTls {
        for (Path path : new Path[] {key, cert, trust}) {
            if (path == null) {
                throw new IllegalArgumentException("TLS on the event bus needs all of --cluster-tls-key, "
                        + "--cluster-tls-cert and --cluster-tls-trust (PEM files)");
            }
        }
    }

    /** Fails naming the first file that is not there. */
    public void checkReadable() {
        for (Path path : new Path[] {key, cert, trust}) {
            if (!Files.isReadable(path)) {
                throw new IllegalArgumentException("cannot read the event-bus TLS file " + path);
            }
        }
    }

    void applyTo(EventBusOptions options) {
        checkReadable();
        options.setSsl(true)
                .setKeyCertOptions(new PemKeyCertOptions().setKeyPath(key.toString()).setCertPath(cert.toString()))
                .setTrustOptions(new PemTrustOptions().addCertPath(trust.toString()))
                .setClientAuth(ClientAuth.REQUIRED);
    }
}
