package io.llmswarm.gguf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Builds a GGUF file: typed metadata, then tensors, written as GGUF v3 (or v2) with each tensor's
 * data aligned. Tensor contents may be given lazily; {@link #write} produces and writes them one
 * at a time, so a model need not be held in memory twice.
 */
public final class GgufWriter {

    /** A tensor to write: its index entry, and where its bytes come from when written. */
    private record PendingTensor(String name, GgmlType type, long[] shape, Supplier<byte[]> content) {
        long byteSize() {
            return new TensorInfo(name, type, shape, 0).byteSize();
        }
    }

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final Map<String, PendingTensor> tensors = new LinkedHashMap<>();
    private int version = 3;
    private long alignment = GgufHeaderReader.DEFAULT_ALIGNMENT;

    /** Writes GGUF version 2 or 3 (they differ only in what readers accept). */
    public GgufWriter version(int version) {
        if (version != 2 && version != 3) {
            throw new IllegalArgumentException("GGUF version must be 2 or 3, was " + version);
        }
        this.version = version;
        return this;
    }

    /** Aligns tensor data to {@code alignment} bytes and records it as {@code general.alignment}. */
    public GgufWriter alignment(long alignment) {
        if (alignment <= 0 || Long.bitCount(alignment) != 1 || alignment > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("alignment must be a power of two, was " + alignment);
        }
        this.alignment = alignment;
        return putUInt32(GgufHeaderReader.ALIGNMENT_KEY, alignment);
    }

    /** Sets {@code key} to {@code value}; a key set again keeps its first position. */
    public GgufWriter put(String key, GgufValue value) {
        metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return this;
    }

    public GgufWriter putString(String key, String value) {
        return put(key, GgufValue.scalar(GgufValueType.STRING, Objects.requireNonNull(value, key)));
    }

    public GgufWriter putUInt8(String key, int value) {
        return put(key, GgufValue.scalar(GgufValueType.UINT8, checkRange(key, value, 0, 255)));
    }

    public GgufWriter putInt8(String key, int value) {
        return put(key, GgufValue.scalar(GgufValueType.INT8, checkRange(key, value, -128, 127)));
    }

    public GgufWriter putUInt16(String key, int value) {
        return put(key, GgufValue.scalar(GgufValueType.UINT16, checkRange(key, value, 0, 65535)));
    }

    public GgufWriter putInt16(String key, int value) {
        return put(key, GgufValue.scalar(GgufValueType.INT16, checkRange(key, value, -32768, 32767)));
    }

    public GgufWriter putUInt32(String key, long value) {
        if (value < 0 || value > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException(key + ": " + value + " does not fit in UINT32");
        }
        return put(key, GgufValue.scalar(GgufValueType.UINT32, value));
    }

    public GgufWriter putInt32(String key, int value) {
        return put(key, GgufValue.scalar(GgufValueType.INT32, value));
    }

    /** A UINT64; {@code value} is taken as unsigned. */
    public GgufWriter putUInt64(String key, long value) {
        return put(key, GgufValue.scalar(GgufValueType.UINT64, value));
    }

    public GgufWriter putInt64(String key, long value) {
        return put(key, GgufValue.scalar(GgufValueType.INT64, value));
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, GgufValue.scalar(GgufValueType.FLOAT32, value));
    }

    public GgufWriter putFloat64(String key, double value) {
        return put(key, GgufValue.scalar(GgufValueType.FLOAT64, value));
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, GgufValue.scalar(GgufValueType.BOOL, value));
    }

    public GgufWriter putStringArray(String key, String... values) {
        return put(key, GgufValue.array(GgufValueType.STRING, values.clone()));
    }

    public GgufWriter putFloatArray(String key, float... values) {
        return put(key, GgufValue.array(GgufValueType.FLOAT32, values.clone()));
    }

    public GgufWriter putInt32Array(String key, int... values) {
        return put(key, GgufValue.array(GgufValueType.INT32, values.clone()));
    }

    public GgufWriter putUInt32Array(String key, long... values) {
        return put(key, GgufValue.array(GgufValueType.UINT32, values.clone()));
    }

    public GgufWriter putBoolArray(String key, boolean... values) {
        return put(key, GgufValue.array(GgufValueType.BOOL, values.clone()));
    }

    /** A tensor whose bytes are already in {@code type}'s layout. */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, byte[] raw) {
        return addLazyRawTensor(name, type, shape, () -> raw);
    }

    /** A tensor given as floats, stored as {@code type} (quantized when written). */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, float[] values) {
        return addTensor(name, type, shape, () -> values);
    }

    /** A tensor whose floats are made only when the file is written, then quantized to {@code type}. */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, Supplier<float[]> values) {
        if (!Quantizer.supports(type)) {
            throw new IllegalArgumentException("tensor '" + name + "': cannot quantize to " + type);
        }
        return addLazyRawTensor(name, type, shape, () -> Quantizer.quantize(type, values.get()));
    }

    /** A tensor whose bytes (in {@code type}'s layout) are made only when the file is written. */
    public GgufWriter addLazyRawTensor(String name, GgmlType type, long[] shape, Supplier<byte[]> raw) {
        Objects.requireNonNull(name, "name");
        PendingTensor tensor = new PendingTensor(name, type, shape.clone(), raw);
        if (shape.length < 1 || shape.length > 4 || Arrays.stream(shape).anyMatch(d -> d <= 0)) {
            throw new IllegalArgumentException("tensor '" + name + "': shape must have 1 to 4 positive dimensions, was "
                    + Arrays.toString(shape));
        }
        if (shape[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': ne0 " + shape[0] + " is not a multiple of the "
                    + type + " block size " + type.blockSize());
        }
        if (tensors.putIfAbsent(name, tensor) != null) {
            throw new IllegalArgumentException("tensor '" + name + "' added twice");
        }
        return this;
    }

    /** The tensor index as it will be written (offsets from the data start). */
    public List<TensorInfo> tensorIndex() {
        List<TensorInfo> index = new ArrayList<>(tensors.size());
        long offset = 0;
        for (PendingTensor tensor : tensors.values()) {
            index.add(new TensorInfo(tensor.name(), tensor.type(), tensor.shape(), offset));
            offset = GgufHeaderReader.alignUp(offset + tensor.byteSize(), alignment);
        }
        return index;
    }

    /** Writes the file, producing each tensor's content in turn; throws {@link GgufException} on failure. */
    public void write(Path path) {
        List<TensorInfo> index = tensorIndex();
        try (LittleEndianOutput out = new LittleEndianOutput(Files.newOutputStream(path))) {
            out.bytes(new byte[] {'G', 'G', 'U', 'F'});
            out.u32(version);
            out.u64(index.size());
            out.u64(metadata.size());
            for (Map.Entry<String, GgufValue> entry : metadata.entrySet()) {
                out.string(entry.getKey());
                out.u32(entry.getValue().type().id());
                writeValue(out, entry.getValue());
            }
            for (TensorInfo info : index) {
                out.string(info.name());
                out.u32(info.rank());
                for (long dim : info.shape()) {
                    out.u64(dim);
                }
                out.u32(info.type().id());
                out.u64(info.offset());
            }
            out.padTo(alignment);
            long dataStart = out.position();
            for (TensorInfo info : index) {
                byte[] bytes = tensors.get(info.name()).content().get();
                if (bytes.length != info.byteSize()) {
                    throw GgufException.of(path, "tensor '" + info.name() + "' content has the wrong size",
                            info.byteSize() + " bytes for " + info.type() + " " + Arrays.toString(info.shape()),
                            bytes.length + " bytes");
                }
                if (out.position() - dataStart != info.offset()) {
                    throw new IllegalStateException("tensor offsets out of step at " + info.name());
                }
                out.bytes(bytes);
                out.padTo(alignment);
            }
        } catch (IOException e) {
            throw new GgufException(path + ": cannot write GGUF file: " + e, e);
        }
    }

    private static void writeValue(LittleEndianOutput out, GgufValue value) throws IOException {
        switch (value.type()) {
            case ARRAY -> writeArray(out, value);
            case STRING -> out.string((String) value.value());
            case BOOL -> out.u8((Boolean) value.value() ? 1 : 0);
            case FLOAT32 -> out.f32((Float) value.value());
            case FLOAT64 -> out.f64((Double) value.value());
            default -> writeInteger(out, value.type(), ((Number) value.value()).longValue());
        }
    }

    private static void writeInteger(LittleEndianOutput out, GgufValueType type, long value) throws IOException {
        switch (type) {
            case UINT8, INT8 -> out.u8((int) value & 0xFF);
            case UINT16, INT16 -> out.u16((int) value);
            case UINT32, INT32 -> out.u32(value);
            case UINT64, INT64 -> out.u64(value);
            default -> throw new IllegalArgumentException("not an integer type: " + type);
        }
    }

    private static void writeArray(LittleEndianOutput out, GgufValue array) throws IOException {
        GgufValueType elementType = array.elementType();
        out.u32(elementType.id());
        out.u64(array.length());
        switch (array.value()) {
            case int[] ints -> {
                for (int v : ints) {
                    writeInteger(out, elementType, v);
                }
            }
            case long[] longs -> {
                for (long v : longs) {
                    writeInteger(out, elementType, v);
                }
            }
            case float[] floats -> {
                for (float v : floats) {
                    out.f32(v);
                }
            }
            case double[] doubles -> {
                for (double v : doubles) {
                    out.f64(v);
                }
            }
            case boolean[] bools -> {
                for (boolean v : bools) {
                    out.u8(v ? 1 : 0);
                }
            }
            case String[] strings -> {
                for (String v : strings) {
                    out.string(v);
                }
            }
            case GgufValue[] nested -> {
                for (GgufValue v : nested) {
                    writeArray(out, v);
                }
            }
            default -> throw new IllegalArgumentException("unsupported array value " + array.value().getClass());
        }
    }

    private static int checkRange(String key, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + ": " + value + " is outside " + min + ".." + max);
        }
        return value;
    }
}
