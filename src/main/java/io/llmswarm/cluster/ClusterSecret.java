package io.llmswarm.cluster;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The secret the members of a swarm share ({@code --cluster-secret-file},
 * {@code LLMSWARM_CLUSTER_SECRET}). It signs what a node must not take from a stranger: shard
 * steps and session releases (HMAC-SHA256 over the message header and a digest of its body, see
 * {@link MessageProof}), the replica protocol and generate requests ({@link SignedJson}) and shard
 * announcements. It also salts the Hazelcast cluster name, so a
 * node with another secret, or none, forms a cluster of its own. {@link #none()} signs nothing and
 * accepts everything, as a swarm without a secret does.
 */
public final class ClusterSecret {

    /** Secrets shorter than this are refused: they can be guessed. */
    static final int MIN_LENGTH = 16;
    static final int MAC_BYTES = 32;

    private static final ClusterSecret NONE = new ClusterSecret(null);

    private final SecretKeySpec key;

    private ClusterSecret(byte[] secret) {
        this.key = secret == null ? null : new SecretKeySpec(secret, "HmacSHA256");
    }

    public static ClusterSecret none() {
        return NONE;
    }

    public static ClusterSecret of(String secret) {
        String text = secret.strip();
        if (text.length() < MIN_LENGTH) {
            throw new IllegalArgumentException("a cluster secret must be at least " + MIN_LENGTH
                    + " characters; got " + text.length());
        }
        return new ClusterSecret(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The file's first line (surrounding white space removed). */
    public static ClusterSecret readFile(Path file) {
        try {
            return of(Files.readString(file, StandardCharsets.UTF_8).lines().findFirst().orElse(""));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the cluster secret file " + file + ": " + e.getMessage(), e);
        }
    }

    public boolean enabled() {
        return key != null;
    }

    /** HMAC-SHA256 of the parts, each length-prefixed so that no two splits of the same bytes collide. */
    byte[] mac(byte[]... parts) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            for (byte[] part : parts) {
                mac.update(new byte[] {(byte) (part.length >>> 24), (byte) (part.length >>> 16),
                        (byte) (part.length >>> 8), (byte) part.length});
                mac.update(part);
            }
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available: " + e.getMessage(), e);
        }
    }

    /** Whether {@code mac} is the MAC of the parts, compared in constant time. */
    boolean verify(byte[] mac, byte[]... parts) {
        return mac != null && MessageDigest.isEqual(mac, mac(parts));
    }

    /**
     * The Hazelcast cluster name members with this secret use: the configured name with a tag
     * derived from the secret, so that only members with the same secret join one another.
     */
    public String hazelcastClusterName(String name) {
        if (!enabled()) {
            return name;
        }
        byte[] tag = mac("hazelcast-cluster-name".getBytes(StandardCharsets.UTF_8),
                name.getBytes(StandardCharsets.UTF_8));
        return name + "-" + HexFormat.of().formatHex(tag, 0, 8);
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return enabled() ? "ClusterSecret[set]" : "ClusterSecret[none]";
    }
}
