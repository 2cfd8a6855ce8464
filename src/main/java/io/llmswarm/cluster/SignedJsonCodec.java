package io.llmswarm.cluster;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.util.function.LongSupplier;

/** {@link SignedJson} on the wire: a header with the kind, the JSON and a timestamp, signed as {@link MessageProof} says. */
public final class SignedJsonCodec extends SwarmCodec<SignedJson> {

    public static final String NAME = "llm.signed-json";

    private final LongSupplier clock;

    public SignedJsonCodec(ClusterSecret secret) {
        this(secret, System::currentTimeMillis);
    }

    /** With the clock the timestamps come from (tests send stale messages with one). */
    SignedJsonCodec(ClusterSecret secret, LongSupplier clock) {
        super(NAME, secret);
        this.clock = clock;
    }

    @Override
    public void encodeToWire(Buffer buffer, SignedJson message) {
        MessageProof.write(buffer, new JsonObject().put("kind", message.kind()).put("json", message.json())
                .put("timestamp", clock.getAsLong()), secret, body -> { });
    }

    @Override
    public SignedJson decodeFromWire(int pos, Buffer buffer) {
        JsonObject header = MessageProof.read(buffer, pos, secret).header();
        if (!(header.getValue("kind") instanceof String kind) || !(header.getValue("json") instanceof JsonObject json)) {
            throw MessageProof.malformed("a signed JSON message needs a \"kind\" string and a \"json\" object; got "
                    + header.fieldNames());
        }
        return new SignedJson(kind, json);
    }

    @Override
    public SignedJson transform(SignedJson message) {
        return new SignedJson(message.kind(), message.json().copy());
    }
}
