package io.llmswarm.cluster;

import io.vertx.core.buffer.Buffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * How hidden states travel in a message body: little-endian F32 (exact), or F16 (half the bytes,
 * rounded as llama.cpp rounds).
 */
public enum HiddenEncoding {
    F32(4),
    F16(2);

    private final int bytesPerValue;

    HiddenEncoding(int bytesPerValue) {
        this.bytesPerValue = bytesPerValue;
    }

    public int bytesPerValue() {
        return bytesPerValue;
    }

    /** Appends {@code values} to {@code buffer}. */
    public void write(Buffer buffer, float[] values) {
        byte[] bytes = new byte[values.length * bytesPerValue];
        ByteBuffer view = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (this == F32) {
            view.asFloatBuffer().put(values);
        } else {
            var shorts = view.asShortBuffer();
            for (float v : values) {
                shorts.put(Float.floatToFloat16(v));
            }
        }
        buffer.appendBytes(bytes);
    }

    /** Reads {@code count} values starting at byte {@code pos} of {@code buffer}. */
    public float[] read(Buffer buffer, int pos, int count) {
        int length = count * bytesPerValue;
        if (pos + length > buffer.length()) {
            throw new IllegalArgumentException("message body holds " + (buffer.length() - pos) + " bytes; "
                    + count + " " + this + " values need " + length);
        }
        ByteBuffer view = ByteBuffer.wrap(buffer.getBytes(pos, pos + length)).order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[count];
        if (this == F32) {
            view.asFloatBuffer().get(values);
        } else {
            var shorts = view.asShortBuffer();
            for (int i = 0; i < count; i++) {
                values[i] = Float.float16ToFloat(shorts.get(i));
            }
        }
        return values;
    }
}
