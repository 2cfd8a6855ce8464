package io.llmswarm.client;

import java.net.URI;
import java.time.Duration;

/**
 * Where a {@link SwarmClient} sends its requests and how long it waits.
 *
 * @param baseUrl        the node, e.g. {@code http://127.0.0.1:8080}; any node of a swarm will do
 * @param apiKey         sent as {@code Authorization: Bearer KEY}; null sends no such header
 * @param connectTimeout how long to wait for the TCP connection
 * @param requestTimeout how long to wait for a blocking answer, or for the head of a stream (a
 *                       stream's tokens may take as long as they take)
 */
public record ClientSettings(URI baseUrl, String apiKey, Duration connectTimeout, Duration requestTimeout) {

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
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException(invalid(text));
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
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
        return new ClientSettings(baseUrl, key, connectTimeout, requestTimeout);
    }

    public ClientSettings withRequestTimeout(Duration timeout) {
        return new ClientSettings(baseUrl, apiKey, connectTimeout, timeout);
    }

    /** The URL of an endpoint path such as {@code /api/inference}, whatever the base ends with. */
    URI resolve(String path) {
        String base = baseUrl.toString();
        return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path);
    }
}
