package io.llmswarm.cluster;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

/** {@link SessionRelease} on the wire: a small JSON header with a timestamp, signed as {@link MessageProof} says. */
public final class SessionReleaseCodec implements MessageCodec<SessionRelease, SessionRelease> {

    public static final String NAME = "llm.session-release";

    private final ClusterSecret secret;

    public SessionReleaseCodec() {
        this(ClusterSecret.none());
    }

    public SessionReleaseCodec(ClusterSecret secret) {
        this.secret = secret;
    }

    @Override
    public void encodeToWire(Buffer buffer, SessionRelease release) {
        MessageProof.write(buffer, new JsonObject().put("command", "RELEASE_SESSION")
                .put("session_id", release.sessionId()).put("reason", release.reason())
                .put("timestamp", System.currentTimeMillis()), secret, body -> { });
    }

    @Override
    public SessionRelease decodeFromWire(int pos, Buffer buffer) {
        JsonObject header = MessageProof.read(buffer, pos, secret).header();
        if (!(header.getValue("session_id") instanceof String sessionId)) {
            throw MessageProof.malformed("RELEASE_SESSION needs a \"session_id\" string; got " + header.getValue("session_id"));
        }
        return new SessionRelease(sessionId, String.valueOf(header.getValue("reason")));
    }

    @Override
    public SessionRelease transform(SessionRelease release) {
        return release;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public byte systemCodecID() {
        return -1;
    }
}
