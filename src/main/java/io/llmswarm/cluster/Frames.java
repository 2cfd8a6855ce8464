package io.llmswarm.cluster;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The wire layout shared by the codecs: a length-prefixed JSON header, the cluster proof
 * ({@link MessageProof}), then binary sections (little-endian int32 arrays and float arrays), each
 * framed by the header's shape fields.
 */
final class Frames {

    private Frames() {
    }

    /** The header at {@code pos} (the layout of every message starts with it; see {@link MessageProof}). */
    static JsonObject readHeader(Buffer buffer, int pos) {
        int length = buffer.getInt(pos);
        return new JsonObject(buffer.getBuffer(pos + 4, pos + 4 + length));
    }

    static void writeInts(Buffer buffer, int[] values) {
        byte[] bytes = new byte[values.length * 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().put(values);
        buffer.appendBytes(bytes);
    }

    static int[] readInts(Buffer buffer, int pos, int count) {
        if (pos + count * 4 > buffer.length()) {
            throw new IllegalArgumentException("message body too short for " + count + " token ids");
        }
        int[] values = new int[count];
        ByteBuffer.wrap(buffer.getBytes(pos, pos + count * 4)).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(values);
        return values;
    }
}
