package io.llmswarm.gateway;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The web origins, besides the node's own, whose pages may call this node from a browser
 * ({@code --allowed-origins}): each {@code scheme://host[:port]} as a browser sends it in its
 * {@code Origin} header, compared without case and with the scheme's default port left out, or
 * {@code *} for any origin. None by default: only the node's own page may.
 */
public record AllowedOrigins(Set<String> origins, boolean any) {

    public static final String ANY = "*";

    public AllowedOrigins {
        origins = Set.copyOf(origins);
    }

    public static AllowedOrigins none() {
        return new AllowedOrigins(Set.of(), false);
    }

    /** Parses origins as listed (each {@code scheme://host[:port]}, or {@code *}); throws naming a bad one. */
    public static AllowedOrigins of(List<String> listed) {
        Set<String> origins = new TreeSet<>();
        boolean any = false;
        for (String entry : listed) {
            String origin = entry.strip();
            if (origin.isEmpty()) {
                continue;
            }
            if (origin.equals(ANY)) {
                any = true;
                continue;
            }
            String normal = normalize(origin);
            if (normal == null) {
                throw new IllegalArgumentException("allowed_origins: '" + origin + "' is not an origin; write each as "
                        + "scheme://host[:port] (e.g. https://chat.example.com or http://127.0.0.1:3000), or *");
            }
            origins.add(normal);
        }
        return new AllowedOrigins(origins, any);
    }

    /** Comma- or space-separated origins, as in {@code LLMSWARM_ALLOWED_ORIGINS} or the flag. */
    public static List<String> split(String text) {
        return Arrays.stream(text.split("[,\\s]+")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    public boolean enabled() {
        return any || !origins.isEmpty();
    }

    /** Whether a page of {@code origin} (an {@code Origin} header's value) is listed. */
    public boolean allows(String origin) {
        if (any) {
            return true;
        }
        String normal = normalize(origin);
        return normal != null && origins.contains(normal);
    }

    /**
     * An origin as {@code scheme://host[:port]} in lower case without the scheme's default port,
     * or null when {@code text} is not one (such as the opaque origin {@code null} of a sandboxed
     * page or a file).
     */
    static String normalize(String text) {
        if (text == null) {
            return null;
        }
        URI uri;
        try {
            uri = new URI(text.strip());
        } catch (URISyntaxException e) {
            return null;
        }
        String scheme = uri.getScheme();
        String host = uri.getHost();
        if (scheme == null || host == null || uri.getRawUserInfo() != null
                || (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/"))
                || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            return null;
        }
        scheme = scheme.toLowerCase(Locale.ROOT);
        int port = uri.getPort();
        boolean defaultPort = port == -1 || (scheme.equals("http") && port == 80) || (scheme.equals("https") && port == 443);
        return scheme + "://" + host.toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port);
    }

    /** The listed origins, for messages and logs. */
    public List<String> listed() {
        List<String> all = new ArrayList<>(origins);
        if (any) {
            all.addFirst(ANY);
        }
        return all;
    }
}
