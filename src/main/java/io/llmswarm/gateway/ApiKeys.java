package io.llmswarm.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The API keys a gateway accepts ({@code Authorization: Bearer KEY}). Only SHA-256 digests are
 * kept, and a presented key is compared with every one in constant time, so neither the time an
 * answer takes nor a heap dump tells a key.
 */
public final class ApiKeys {

    /** Keys shorter than this are refused: they can be guessed. */
    static final int MIN_LENGTH = 8;

    private static final ApiKeys NONE = new ApiKeys(List.of());

    private final List<byte[]> digests;

    private ApiKeys(List<byte[]> digests) {
        this.digests = digests;
    }

    public static ApiKeys none() {
        return NONE;
    }

    /** Keys as given; each must be at least {@value #MIN_LENGTH} characters without white space. */
    public static ApiKeys of(Collection<String> keys) {
        List<byte[]> digests = new ArrayList<>();
        for (String key : keys) {
            if (key.length() < MIN_LENGTH || key.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("an API key must be at least " + MIN_LENGTH
                        + " characters without spaces; got one of " + key.length() + " characters");
            }
            digests.add(sha256(key));
        }
        return new ApiKeys(List.copyOf(digests));
    }

    /** Reads one key per line; blank lines and lines starting with {@code #} are skipped. */
    public static List<String> readFile(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip)
                    .filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the API keys file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Splits a comma-separated list (as {@code LLMSWARM_API_KEYS} holds it). */
    public static List<String> split(String commaSeparated) {
        return Arrays.stream(commaSeparated.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    public boolean enabled() {
        return !digests.isEmpty();
    }

    public int size() {
        return digests.size();
    }

    /**
     * Which key {@code presented} is ({@code "key-N"}, a name safe to log and to count streams by),
     * or empty. Every stored digest is compared, whichever matches.
     */
    public Optional<String> match(String presented) {
        if (presented == null) {
            return Optional.empty();
        }
        byte[] digest = sha256(presented);
        int found = -1;
        for (int i = 0; i < digests.size(); i++) {
            if (MessageDigest.isEqual(digests.get(i), digest) && found < 0) {
                found = i;
            }
        }
        return found < 0 ? Optional.empty() : Optional.of("key-" + found);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }
}
