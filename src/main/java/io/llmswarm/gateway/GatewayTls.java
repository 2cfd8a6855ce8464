package io.llmswarm.gateway;

import io.vertx.core.net.PemKeyCertOptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * HTTPS for the gateway: its certificate chain and private key as PEM files ({@code --https-cert},
 * {@code --https-key}), and optionally a plain-HTTP port whose every request is redirected to the
 * HTTPS one ({@code --https-redirect-port}; 0 for none).
 */
public record GatewayTls(Path certificate, Path key, int redirectPort) {

    public GatewayTls {
        if (certificate == null || key == null) {
            throw new IllegalArgumentException("HTTPS needs both --https-cert (PEM certificate chain) and --https-key "
                    + "(PEM private key); got " + (certificate == null ? "no certificate" : "no key"));
        }
        for (Path file : new Path[] {certificate, key}) {
            if (!Files.isReadable(file)) {
                throw new IllegalArgumentException("cannot read " + file + " for HTTPS (--https-cert, --https-key)");
            }
        }
        if (redirectPort < 0 || redirectPort > 65535) {
            throw new IllegalArgumentException("https_redirect_port must be a port 1-65535 (0: none); got " + redirectPort);
        }
    }

    /** The key and certificate as Vert.x options for an HTTPS server. */
    PemKeyCertOptions keyCertOptions() {
        return new PemKeyCertOptions().setCertPath(certificate.toString()).setKeyPath(key.toString());
    }
}
