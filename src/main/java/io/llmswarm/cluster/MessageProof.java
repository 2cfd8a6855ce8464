package io.llmswarm.cluster;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * The layout of a signed swarm message: {@code [int header length][JSON header][int proof
 * length][proof][body]}, the proof being HMAC-SHA256 (with the {@link ClusterSecret}) over the
 * header's bytes and the SHA-256 digest of the body, or empty without a secret. The header holds
 * the sender's {@code timestamp} (ms): a receiver with the secret refuses a message whose proof is
 * missing or wrong, or whose timestamp is further than {@link #WINDOW} from its clock (a replay).
 */
public final class MessageProof {

    /** How far a message's timestamp may be from the receiver's clock. */
    public static final Duration WINDOW = Duration.ofSeconds(60);

    /** A message read back: its header, where its body starts, and where it ends. */
    public record Read(JsonObject header, int bodyStart, int end) {
        public int bodyLength() {
            return end - bodyStart;
        }
    }

    /** A message this node must not act on: unsigned, badly signed, too old, or not a message of ours at all. */
    public static final class RejectedException extends IllegalArgumentException {
        private final boolean badProof;

        RejectedException(String message, boolean badProof) {
            super(message);
            this.badProof = badProof;
        }

        /** True when the proof failed (a stranger or a replay), false when the bytes were malformed. */
        public boolean badProof() {
            return badProof;
        }
    }

    private MessageProof() {
    }

    /** Writes header, proof and body ({@code body} appends it to the buffer it is given). */
    static void write(Buffer buffer, JsonObject header, ClusterSecret secret, Consumer<Buffer> body) {
        Buffer headerBytes = header.toBuffer();
        buffer.appendInt(headerBytes.length()).appendBuffer(headerBytes);
        int proofAt = buffer.length();
        int proofLength = secret.enabled() ? ClusterSecret.MAC_BYTES : 0;
        buffer.appendInt(proofLength).appendBytes(new byte[proofLength]);
        int bodyStart = buffer.length();
        body.accept(buffer);
        if (secret.enabled()) {
            byte[] mac = secret.mac(headerBytes.getBytes(), ClusterSecret.sha256(buffer.getBytes(bodyStart, buffer.length())));
            buffer.setBytes(proofAt + 4, mac);
        }
    }

    /** Reads and, with a secret, checks a message that starts at {@code pos} and ends with the buffer. */
    static Read read(Buffer buffer, int pos, ClusterSecret secret) {
        int end = buffer.length();
        int headerLength = intAt(buffer, pos, end, "header length");
        if (headerLength < 2 || pos + 4L + headerLength > end) {
            throw malformed("header length " + headerLength + " does not fit the " + (end - pos) + "-byte message");
        }
        Buffer headerBytes = buffer.getBuffer(pos + 4, pos + 4 + headerLength);
        JsonObject header;
        try {
            header = new JsonObject(headerBytes);
        } catch (RuntimeException e) {
            throw malformed("the header is not a JSON object: " + e.getMessage());
        }
        int proofAt = pos + 4 + headerLength;
        int proofLength = intAt(buffer, proofAt, end, "proof length");
        if (proofLength < 0 || proofLength > 64 || proofAt + 4L + proofLength > end) {
            throw malformed("proof length " + proofLength + " does not fit the message");
        }
        int bodyStart = proofAt + 4 + proofLength;
        if (secret.enabled()) {
            if (proofLength == 0) {
                throw new RejectedException("the message carries no cluster proof: the sender lacks this swarm's "
                        + "cluster secret", true);
            }
            byte[] mac = buffer.getBytes(proofAt + 4, bodyStart);
            if (!secret.verify(mac, headerBytes.getBytes(), ClusterSecret.sha256(buffer.getBytes(bodyStart, end)))) {
                throw new RejectedException("the message's cluster proof is not valid: the sender has another "
                        + "cluster secret, or the message was altered", true);
            }
            Object timestamp = header.getValue("timestamp");
            long skew = timestamp instanceof Number n ? Math.abs(System.currentTimeMillis() - n.longValue()) : Long.MAX_VALUE;
            if (skew > WINDOW.toMillis()) {
                throw new RejectedException("the message's timestamp " + timestamp + " is outside this node's window of"
                        + " ±" + WINDOW.toSeconds() + " s: a replayed message, or clocks that disagree", true);
            }
        }
        return new Read(header, bodyStart, end);
    }

    private static int intAt(Buffer buffer, int at, int end, String what) {
        if (at < 0 || at + 4L > end) {
            throw malformed("the message ends before its " + what);
        }
        return buffer.getInt(at);
    }

    static RejectedException malformed(String problem) {
        return new RejectedException(problem, false);
    }
}
