package io.llmswarm.cluster;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

/** {@link SessionRelease} on the wire as a small JSON header. */
public final class SessionReleaseCodec implements MessageCodec<SessionRelease, SessionRelease> {

    public static final String NAME = "llm.session-release";

    @Override
    public void encodeToWire(Buffer buffer, SessionRelease release) {
        Frames.writeHeader(buffer, new JsonObject().put("command", "RELEASE_SESSION")
                .put("session_id", release.sessionId()).put("reason", release.reason()));
    }

    @Override
    public SessionRelease decodeFromWire(int pos, Buffer buffer) {
        JsonObject header = Frames.readHeader(buffer, pos);
        return new SessionRelease(header.getString("session_id"), header.getString("reason"));
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
