package io.llmswarm.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the header of a GGUF file (magic, version, metadata, tensor index) from its mapping,
 * field by field as the GGUF specification lays them out. Every read is bounds-checked, so a
 * truncated or corrupt header gives a {@link GgufException} rather than a crash or a huge
 * allocation. Only the header's pages are touched.
 */
final class GgufHeaderReader {

    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
    static final long DEFAULT_ALIGNMENT = 32;
    static final String ALIGNMENT_KEY = "general.alignment";

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** What the header says. */
    record Header(int version, GgufMetadata metadata, Map<String, TensorInfo> tensors, long alignment,
            long dataOffset) {
    }

    private final Path file;
    private final MemorySegment segment;
    private final long size;
    private long position;

    GgufHeaderReader(Path file, MemorySegment segment) {
        this.file = file;
        this.segment = segment;
        this.size = segment.byteSize();
    }

    Header read() {
        int version = readMagicAndVersion();
        long tensorCount = u64("tensor count");
        long keyCount = u64("metadata key count");
        checkCount(tensorCount, 8 + 4 + 4 + 8, "tensor count");
        checkCount(keyCount, 8 + 4 + 1, "metadata key count");

        Map<String, GgufValue> values = new LinkedHashMap<>();
        for (long i = 0; i < keyCount; i++) {
            String key = string("metadata key " + i);
            long typeId = Integer.toUnsignedLong(u32("type of metadata key '" + key + "'"));
            GgufValueType type = valueType(typeId, "metadata key '" + key + "'");
            GgufValue value = value(type, key);
            if (values.putIfAbsent(key, value) != null) {
                throw GgufException.of(file, "duplicate metadata key '" + key + "'", "each key once", "it twice");
            }
        }
        GgufMetadata metadata = new GgufMetadata(file, values);
        long alignment = alignment(metadata);

        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            TensorInfo info = tensorInfo(i, alignment);
            if (tensors.putIfAbsent(info.name(), info) != null) {
                throw GgufException.of(file, "duplicate tensor name '" + info.name() + "'", "unique tensor names",
                        "'" + info.name() + "' twice in the tensor index");
            }
        }
        long dataOffset = alignUp(position, alignment);
        for (TensorInfo info : tensors.values()) {
            checkDataInFile(info, dataOffset);
        }
        return new Header(version, metadata, tensors, alignment, dataOffset);
    }

    private int readMagicAndVersion() {
        if (size < 4) {
            throw GgufException.of(file, "not a GGUF file: too short for the magic", "at least 8 bytes",
                    size + " bytes");
        }
        int magic = segment.get(U32, 0);
        if (magic != MAGIC) {
            throw GgufException.of(file, "bad magic, not a GGUF file", "bytes 'GGUF' (47 47 55 46)",
                    describeBytes(segment, 0, 4));
        }
        position = 4;
        int version = u32("version");
        if (version == 1) {
            throw GgufException.of(file, "unsupported GGUF version 1 (32-bit counts, obsolete since 2023)",
                    "version 2 or 3", "version 1");
        }
        if (version != 2 && version != 3) {
            String hint = Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3
                    ? " (looks like a big-endian GGUF, which is not supported)" : "";
            throw GgufException.of(file, "unsupported GGUF version" + hint, "version 2 or 3",
                    "version " + Integer.toUnsignedString(version));
        }
        return version;
    }

    private long alignment(GgufMetadata metadata) {
        if (!metadata.contains(ALIGNMENT_KEY)) {
            return DEFAULT_ALIGNMENT;
        }
        long alignment = metadata.getLong(ALIGNMENT_KEY);
        if (alignment <= 0 || Long.bitCount(alignment) != 1) {
            throw GgufException.of(file, "bad " + ALIGNMENT_KEY, "a power of two", Long.toString(alignment));
        }
        return alignment;
    }

    private TensorInfo tensorInfo(long index, long alignment) {
        String name = string("name of tensor " + index);
        int dims = u32("dimension count of tensor '" + name + "'");
        if (dims < 1 || dims > 4) {
            throw GgufException.of(file, "tensor '" + name + "' has a bad dimension count", "1 to 4",
                    Integer.toUnsignedString(dims));
        }
        long[] shape = new long[dims];
        for (int d = 0; d < dims; d++) {
            shape[d] = u64("dimension " + d + " of tensor '" + name + "'");
            if (shape[d] <= 0) {
                throw GgufException.of(file, "tensor '" + name + "' has a bad dimension " + d, "a positive size",
                        Long.toUnsignedString(shape[d]));
            }
        }
        int typeId = u32("type of tensor '" + name + "'");
        GgmlType type = GgmlType.fromId(typeId);
        if (type == null) {
            throw GgufException.of(file, "tensor '" + name + "' has an unknown tensor type id", "one of "
                    + Arrays.toString(GgmlType.values()), "type id " + Integer.toUnsignedString(typeId));
        }
        if (shape[0] % type.blockSize() != 0) {
            throw GgufException.of(file, "tensor '" + name + "' rows do not fill whole " + type + " blocks",
                    "ne0 a multiple of " + type.blockSize(), "ne0 = " + shape[0]);
        }
        long offset = u64("data offset of tensor '" + name + "'");
        if (offset < 0 || offset % alignment != 0) {
            throw GgufException.of(file, "tensor '" + name + "' data offset is misaligned",
                    "a multiple of the alignment " + alignment, Long.toUnsignedString(offset));
        }
        try {
            TensorInfo info = new TensorInfo(name, type, shape, offset);
            info.byteSize();
            return info;
        } catch (ArithmeticException e) {
            throw GgufException.of(file, "tensor '" + name + "' is impossibly large", "a size that fits 64 bits",
                    Arrays.toString(shape));
        }
    }

    private void checkDataInFile(TensorInfo info, long dataOffset) {
        long end = dataOffset + info.offset() + info.byteSize();
        if (end < 0 || end > size) {
            throw GgufException.of(file, "truncated file: data of tensor '" + info.name() + "' lies beyond the end",
                    "at least " + (end < 0 ? "2^63" : Long.toString(end)) + " bytes", size + " bytes");
        }
    }

    private GgufValue value(GgufValueType type, String key) {
        return switch (type) {
            case UINT8 -> GgufValue.scalar(type, Byte.toUnsignedInt(u8(key)));
            case INT8 -> GgufValue.scalar(type, (int) u8(key));
            case UINT16 -> GgufValue.scalar(type, Short.toUnsignedInt(u16(key)));
            case INT16 -> GgufValue.scalar(type, (int) u16(key));
            case UINT32 -> GgufValue.scalar(type, Integer.toUnsignedLong(u32(key)));
            case INT32 -> GgufValue.scalar(type, u32(key));
            case UINT64, INT64 -> GgufValue.scalar(type, u64(key));
            case FLOAT32 -> GgufValue.scalar(type, Float.intBitsToFloat(u32(key)));
            case FLOAT64 -> GgufValue.scalar(type, Double.longBitsToDouble(u64(key)));
            case BOOL -> GgufValue.scalar(type, bool(key));
            case STRING -> GgufValue.scalar(type, string(key));
            case ARRAY -> array(key);
        };
    }

    private GgufValue array(String key) {
        long typeId = Integer.toUnsignedLong(u32("element type of array '" + key + "'"));
        GgufValueType elementType = valueType(typeId, "elements of array '" + key + "'");
        long count = u64("length of array '" + key + "'");
        checkCount(count, elementType.minBytes(), "length of array '" + key + "'");
        int n = (int) count;
        Object elements = switch (elementType) {
            case UINT8, INT8, UINT16, INT16, INT32 -> {
                int[] ints = new int[n];
                for (int i = 0; i < n; i++) {
                    ints[i] = switch (elementType) {
                        case UINT8 -> Byte.toUnsignedInt(u8(key));
                        case INT8 -> u8(key);
                        case UINT16 -> Short.toUnsignedInt(u16(key));
                        case INT16 -> u16(key);
                        default -> u32(key);
                    };
                }
                yield ints;
            }
            case UINT32, UINT64, INT64 -> {
                long[] longs = new long[n];
                for (int i = 0; i < n; i++) {
                    longs[i] = elementType == GgufValueType.UINT32 ? Integer.toUnsignedLong(u32(key)) : u64(key);
                }
                yield longs;
            }
            case FLOAT32 -> {
                float[] floats = new float[n];
                for (int i = 0; i < n; i++) {
                    floats[i] = f32(key);
                }
                yield floats;
            }
            case FLOAT64 -> {
                double[] doubles = new double[n];
                for (int i = 0; i < n; i++) {
                    need(8, key);
                    doubles[i] = segment.get(F64, position);
                    position += 8;
                }
                yield doubles;
            }
            case BOOL -> {
                boolean[] bools = new boolean[n];
                for (int i = 0; i < n; i++) {
                    bools[i] = bool(key);
                }
                yield bools;
            }
            case STRING -> {
                String[] strings = new String[n];
                for (int i = 0; i < n; i++) {
                    strings[i] = string(key);
                }
                yield strings;
            }
            case ARRAY -> {
                GgufValue[] nested = new GgufValue[n];
                for (int i = 0; i < n; i++) {
                    nested[i] = array(key + "[" + i + "]");
                }
                yield nested;
            }
        };
        return GgufValue.array(elementType, elements);
    }

    private GgufValueType valueType(long id, String what) {
        GgufValueType type = GgufValueType.fromId(id);
        if (type == null) {
            throw GgufException.of(file, "unknown metadata value type for " + what, "a type id 0 to 12",
                    "type id " + id);
        }
        return type;
    }

    /** A count read from the file must fit in an int and in the bytes that remain. */
    private void checkCount(long count, int minBytesEach, String what) {
        long remaining = size - position;
        if (count < 0 || count > Integer.MAX_VALUE || count * minBytesEach > remaining) {
            throw GgufException.of(file, "truncated or corrupt header: " + what + " too large for the file",
                    "at most " + remaining / minBytesEach + " (bytes left after offset " + position + ")",
                    Long.toUnsignedString(count));
        }
    }

    private void need(long bytes, String what) {
        if (bytes > size - position) {
            throw GgufException.of(file, "truncated header while reading " + what,
                    (position + bytes) + " bytes or more", "the file ends at " + size + " bytes");
        }
    }

    private byte u8(String what) {
        need(1, what);
        return segment.get(ValueLayout.JAVA_BYTE, position++);
    }

    private short u16(String what) {
        need(2, what);
        short value = segment.get(U16, position);
        position += 2;
        return value;
    }

    private int u32(String what) {
        need(4, what);
        int value = segment.get(U32, position);
        position += 4;
        return value;
    }

    private long u64(String what) {
        need(8, what);
        long value = segment.get(U64, position);
        position += 8;
        return value;
    }

    private float f32(String what) {
        need(4, what);
        float value = segment.get(F32, position);
        position += 4;
        return value;
    }

    private boolean bool(String what) {
        byte b = u8(what);
        if (b != 0 && b != 1) {
            throw GgufException.of(file, "bad boolean in " + what + " at offset " + (position - 1), "0 or 1",
                    Integer.toString(Byte.toUnsignedInt(b)));
        }
        return b == 1;
    }

    private String string(String what) {
        long length = u64("length of " + what);
        if (length < 0 || length > Integer.MAX_VALUE - 16) {
            throw GgufException.of(file, "corrupt string length in " + what, "a length below 2^31",
                    Long.toUnsignedString(length));
        }
        need(length, what);
        byte[] bytes = segment.asSlice(position, length).toArray(ValueLayout.JAVA_BYTE);
        position += length;
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static long alignUp(long offset, long alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }

    static String describeBytes(MemorySegment segment, long offset, int count) {
        StringBuilder text = new StringBuilder();
        StringBuilder ascii = new StringBuilder();
        for (int i = 0; i < count; i++) {
            int b = Byte.toUnsignedInt(segment.get(ValueLayout.JAVA_BYTE, offset + i));
            text.append(String.format("%02X ", b));
            ascii.append(b >= 32 && b < 127 ? (char) b : '.');
        }
        return "bytes " + text.toString().trim() + " ('" + ascii + "')";
    }
}
