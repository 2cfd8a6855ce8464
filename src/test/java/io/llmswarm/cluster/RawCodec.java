package io.llmswarm.cluster;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/** Sends bytes as they are under another codec's name, so the receiver decodes whatever a test made. */
public final class RawCodec implements MessageCodec<Buffer, Object> {

    private final String name;

    public RawCodec(String name) {
        this.name = name;
    }

    @Override
    public void encodeToWire(Buffer buffer, Buffer bytes) {
        buffer.appendBuffer(bytes);
    }

    @Override
    public Object decodeFromWire(int pos, Buffer buffer) {
        return buffer.getBuffer(pos, buffer.length());
    }

    @Override
    public Object transform(Buffer bytes) {
        return bytes;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public byte systemCodecID() {
        return -1;
    }
}
