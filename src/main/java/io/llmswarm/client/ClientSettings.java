package io.llmswarm.client;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Locale;

/**
 * Where a {@link SwarmClient} sends its requests and how long it waits.
 *
 * @param baseUrl        the node, e.g. {@code http://127.0.0.1:8080}; any node of a swarm will do
 * @param apiKey         sent as {@code Authorization: Bearer KEY}; null sends no such header
 * @param connectTimeout how long to wait for the TCP connection
 * @param requestTimeout how long to wait for a blocking answer, or for the head of a stream (a
 *                       stream's tokens may take as long as they take)
 * @param tls            for an {@code https://} node whose certificate the JVM's default trust store
 *                       does not know (a private CA, a self-signed one): what to trust; null for the default
 */
public record ClientSettings(URI baseUrl, String apiKey, Duration connectTimeout, Duration requestTimeout,
                             SSLContext tls) {

    public static final String DEFAULT_URL = "http://127.0.0.1:8080";

    public ClientSettings {
        if (baseUrl == null || baseUrl.getScheme() == null || baseUrl.getHost() == null
                || !(baseUrl.getScheme().equals("http") || baseUrl.getScheme().equals("https"))) {
            throw new IllegalArgumentException("the node's URL must be http://HOST:PORT or https://HOST:PORT; got "
                    + baseUrl);
        }
        if (apiKey != null && apiKey.isBlank()) {
            apiKey = null;
        }
        if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()
                || requestTimeout == null || requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive; got connect " + connectTimeout
                    + ", request " + requestTimeout);
        }
    }

    /** With the JVM's default trust for HTTPS. */
    public ClientSettings(URI baseUrl, String apiKey, Duration connectTimeout, Duration requestTimeout) {
        this(baseUrl, apiKey, connectTimeout, requestTimeout, null);
    }

    /**
     * No API key, 10 s to connect, 5 minutes for an answer. {@code baseUrl} may leave out the scheme
     * ({@code 127.0.0.1:8080} or {@code localhost:8080} means {@code http://...}).
     *
     * @throws IllegalArgumentException saying what to write when it is not an http(s) URL
     */
    public static ClientSettings of(String baseUrl) {
        return new ClientSettings(parseUrl(baseUrl), null, Duration.ofSeconds(10), Duration.ofMinutes(5));
    }

    static URI parseUrl(String text) {
        String url = text == null ? "" : text.strip();
        if (!url.contains("://")) {
            url = "http://" + url;
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(invalid(text));
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw new IllegalArgumentException(invalid(text));
        }
        return uri;
    }

    private static String invalid(String text) {
        return "'" + text + "' is not a node's URL: write it as http://HOST:PORT (for example " + DEFAULT_URL
                + "), or HOST:PORT";
    }

    public ClientSettings withApiKey(String key) {
        return new ClientSettings(baseUrl, key, connectTimeout, requestTimeout, tls);
    }

    public ClientSettings withRequestTimeout(Duration timeout) {
        return new ClientSettings(baseUrl, apiKey, connectTimeout, timeout, tls);
    }

    /** Trusts, over HTTPS, exactly the certificates in {@code pem} (a node's own, or the CA that signed it). */
    public ClientSettings withTrustedCertificates(Path pem) {
        return new ClientSettings(baseUrl, apiKey, connectTimeout, requestTimeout, trusting(pem));
    }

    /** An SSL context that trusts the certificates of a PEM file. */
    static SSLContext trusting(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("node-" + i++, certificate);
            }
            if (i == 0) {
                throw new IllegalArgumentException(pem + " holds no PEM certificate");
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the certificates to trust in " + pem + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot trust the certificates in " + pem + ": " + e.getMessage(), e);
        }
    }

    /** The URL of an endpoint path such as {@code /api/inference}, whatever the base ends with. */
    URI resolve(String path) {
        String base = baseUrl.toString();
        return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path);
    }
}
