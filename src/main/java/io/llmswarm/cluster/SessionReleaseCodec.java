package io.llmswarm.cluster;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/** {@link SessionRelease} on the wire: a small JSON header with a timestamp, signed as {@link MessageProof} says. */
public final class SessionReleaseCodec extends SwarmCodec<SessionRelease> {

    public static final String NAME = "llm.session-release";

    public SessionReleaseCodec() {
        this(ClusterSecret.none());
    }

    public SessionReleaseCodec(ClusterSecret secret) {
        super(NAME, secret);
    }

    @Override
    public void encodeToWire(Buffer buffer, SessionRelease release) {
        MessageProof.write(buffer, new JsonObject().put("command", "RELEASE_SESSION")
                .put("session_id", release.sessionId()).put("reason", release.reason())
                .put("timestamp", System.currentTimeMillis()), secret, body -> { });
    }

    /** Two strings: nothing to copy. */
    @Override
    public SessionRelease transform(SessionRelease release) {
        return release;
    }

    @Override
    public SessionRelease decodeFromWire(int pos, Buffer buffer) {
        JsonObject header = MessageProof.read(buffer, pos, secret).header();
        if (!(header.getValue("session_id") instanceof String sessionId)) {
            throw MessageProof.malformed("RELEASE_SESSION needs a \"session_id\" string; got " + header.getValue("session_id"));
        }
        return new SessionRelease(sessionId, String.valueOf(header.getValue("reason")));
    }
}
