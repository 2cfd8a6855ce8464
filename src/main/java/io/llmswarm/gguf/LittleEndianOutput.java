package io.llmswarm.gguf;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Little-endian primitive writes over a buffered stream, counting the bytes written. */
final class LittleEndianOutput implements AutoCloseable {

    private final OutputStream out;
    private final byte[] scratch = new byte[8];
    private long position;

    LittleEndianOutput(OutputStream out) {
        this.out = new BufferedOutputStream(out, 1 << 20);
    }

    long position() {
        return position;
    }

    void u8(int value) throws IOException {
        out.write(value);
        position++;
    }

    void u16(int value) throws IOException {
        little(value, 2);
    }

    void u32(long value) throws IOException {
        little(value, 4);
    }

    void u64(long value) throws IOException {
        little(value, 8);
    }

    void f32(float value) throws IOException {
        u32(Float.floatToRawIntBits(value));
    }

    void f64(double value) throws IOException {
        u64(Double.doubleToRawLongBits(value));
    }

    void string(String value) throws IOException {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        u64(bytes.length);
        bytes(bytes);
    }

    void bytes(byte[] bytes) throws IOException {
        out.write(bytes);
        position += bytes.length;
    }

    void padTo(long alignment) throws IOException {
        while (position % alignment != 0) {
            u8(0);
        }
    }

    private void little(long value, int size) throws IOException {
        for (int i = 0; i < size; i++) {
            scratch[i] = (byte) (value >>> (8 * i));
        }
        out.write(scratch, 0, size);
        position += size;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
