package io.llmswarm.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * One metadata value as GGUF stores it: its type, the element type when it is an array, and the
 * Java value.
 *
 * <p>Scalars: UINT8, INT8, UINT16, INT16 and INT32 are {@link Integer}; UINT32, INT64 and UINT64
 * are {@link Long} (unsigned values widened; a UINT64 above {@code Long.MAX_VALUE} keeps its bits);
 * FLOAT32 {@link Float}; FLOAT64 {@link Double}; BOOL {@link Boolean}; STRING {@link String}.
 * Arrays hold primitive arrays widened the same way ({@code int[]}, {@code long[]},
 * {@code float[]}, {@code double[]}, {@code boolean[]}, {@code String[]}); an array of arrays
 * holds {@code GgufValue[]}, each an ARRAY value.
 *
 * @param type the value's type
 * @param elementType the element type of an array, {@code null} for scalars
 * @param value the Java value as described above
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    public GgufValue {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
        if ((type == GgufValueType.ARRAY) != (elementType != null)) {
            throw new IllegalArgumentException("an element type is required for arrays and only for arrays: " + type);
        }
    }

    /** A scalar value. */
    public static GgufValue scalar(GgufValueType type, Object value) {
        return new GgufValue(type, null, value);
    }

    /** An array value. */
    public static GgufValue array(GgufValueType elementType, Object elements) {
        return new GgufValue(GgufValueType.ARRAY, elementType, elements);
    }

    /** The number of elements of an array value. */
    public int length() {
        return switch (value) {
            case int[] a -> a.length;
            case long[] a -> a.length;
            case float[] a -> a.length;
            case double[] a -> a.length;
            case boolean[] a -> a.length;
            case Object[] a -> a.length;
            default -> throw new IllegalStateException("not an array: " + describe());
        };
    }

    /** "UINT32" or "ARRAY of STRING", for error messages. */
    public String describe() {
        return type == GgufValueType.ARRAY ? "ARRAY of " + elementType : type.name();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof GgufValue that && type == that.type && elementType == that.elementType
                && Objects.deepEquals(value, that.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, elementType, Arrays.deepHashCode(new Object[] {value}));
    }

    @Override
    public String toString() {
        String text = Arrays.deepToString(new Object[] {value});
        text = text.substring(1, text.length() - 1);
        if (text.length() > 200) {
            text = text.substring(0, 200) + "...";
        }
        return describe() + " " + text;
    }
}
