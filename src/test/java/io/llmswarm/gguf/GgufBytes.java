package io.llmswarm.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/** Builds GGUF bytes by hand, field by field, so reader tests do not depend on the writer. */
final class GgufBytes {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    GgufBytes raw(byte... bytes) {
        out.writeBytes(bytes);
        return this;
    }

    GgufBytes u8(int value) {
        out.write(value);
        return this;
    }

    GgufBytes u16(int value) {
        return put(2, b -> b.putShort((short) value));
    }

    GgufBytes u32(long value) {
        return put(4, b -> b.putInt((int) value));
    }

    GgufBytes u64(long value) {
        return put(8, b -> b.putLong(value));
    }

    GgufBytes f32(float value) {
        return put(4, b -> b.putFloat(value));
    }

    GgufBytes f64(double value) {
        return put(8, b -> b.putDouble(value));
    }

    GgufBytes str(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        u64(bytes.length);
        return raw(bytes);
    }

    /** Magic, version and the two counts. */
    GgufBytes header(int version, long tensorCount, long keyCount) {
        raw((byte) 'G', (byte) 'G', (byte) 'U', (byte) 'F');
        u32(version);
        return u64(tensorCount).u64(keyCount);
    }

    /** Key and type id; the caller then writes the value. */
    GgufBytes key(String key, GgufValueType type) {
        return str(key).u32(type.id());
    }

    GgufBytes tensor(String name, GgmlType type, long offset, long... shape) {
        str(name).u32(shape.length);
        for (long dim : shape) {
            u64(dim);
        }
        return u32(type.id()).u64(offset);
    }

    GgufBytes padTo(int alignment) {
        while (out.size() % alignment != 0) {
            out.write(0);
        }
        return this;
    }

    int size() {
        return out.size();
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    private GgufBytes put(int size, Consumer<ByteBuffer> writer) {
        ByteBuffer buffer = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        writer.accept(buffer);
        out.writeBytes(buffer.array());
        return this;
    }
}
