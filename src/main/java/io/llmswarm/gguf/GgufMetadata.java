package io.llmswarm.gguf;

import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The key-value metadata of a GGUF file, in file order, with typed getters. A required key that
 * is missing, or present with another type, throws a {@link GgufException} naming the file, the
 * key, the type expected and the type found.
 */
public final class GgufMetadata {

    private final Path file;
    private final Map<String, GgufValue> values;

    /** Wraps {@code values} (kept in their order, not copied) read from {@code file}. */
    public GgufMetadata(Path file, Map<String, GgufValue> values) {
        this.file = file;
        this.values = Collections.unmodifiableMap(values);
    }

    public boolean contains(String key) {
        return values.containsKey(key);
    }

    /** The keys in file order. */
    public Set<String> keys() {
        return values.keySet();
    }

    /** All values by key, in file order. */
    public Map<String, GgufValue> values() {
        return values;
    }

    /** The typed value of {@code key}, or {@code null} when missing. */
    public GgufValue value(String key) {
        return values.get(key);
    }

    /** The Java value of {@code key} (see {@link GgufValue}), or {@code null} when missing. */
    public Object get(String key) {
        GgufValue value = values.get(key);
        return value == null ? null : value.value();
    }

    public String getString(String key) {
        GgufValue value = require(key);
        if (value.type() != GgufValueType.STRING) {
            throw wrongType(key, "STRING", value);
        }
        return (String) value.value();
    }

    public String getStringOrDefault(String key, String fallback) {
        return contains(key) ? getString(key) : fallback;
    }

    public Optional<String> findString(String key) {
        return contains(key) ? Optional.of(getString(key)) : Optional.empty();
    }

    /** An integer of any type whose value fits in an {@code int}. */
    public int getInt(String key) {
        long value = getLong(key);
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw GgufException.of(file, "metadata key '" + key + "' does not fit in a 32-bit int",
                    "a value in the int range", values.get(key).describe() + " " + value);
        }
        return (int) value;
    }

    public int getIntOrDefault(String key, int fallback) {
        return contains(key) ? getInt(key) : fallback;
    }

    public Optional<Integer> findInt(String key) {
        return contains(key) ? Optional.of(getInt(key)) : Optional.empty();
    }

    /** An integer of any type whose value fits in a {@code long}. */
    public long getLong(String key) {
        GgufValue value = require(key);
        if (!value.type().isInteger()) {
            throw wrongType(key, "an integer type", value);
        }
        long number = ((Number) value.value()).longValue();
        if (value.type() == GgufValueType.UINT64 && number < 0) {
            throw GgufException.of(file, "metadata key '" + key + "' does not fit in a 64-bit signed long",
                    "a value up to " + Long.MAX_VALUE, "UINT64 " + Long.toUnsignedString(number));
        }
        return number;
    }

    public long getLongOrDefault(String key, long fallback) {
        return contains(key) ? getLong(key) : fallback;
    }

    public Optional<Long> findLong(String key) {
        return contains(key) ? Optional.of(getLong(key)) : Optional.empty();
    }

    /** A FLOAT32, FLOAT64 or integer value as a {@code float}. */
    public float getFloat(String key) {
        GgufValue value = require(key);
        if (value.type() == GgufValueType.FLOAT32 || value.type() == GgufValueType.FLOAT64) {
            return ((Number) value.value()).floatValue();
        }
        if (value.type().isInteger()) {
            return getLong(key);
        }
        throw wrongType(key, "FLOAT32, FLOAT64 or an integer type", value);
    }

    public float getFloatOrDefault(String key, float fallback) {
        return contains(key) ? getFloat(key) : fallback;
    }

    public Optional<Float> findFloat(String key) {
        return contains(key) ? Optional.of(getFloat(key)) : Optional.empty();
    }

    public boolean getBoolean(String key) {
        GgufValue value = require(key);
        if (value.type() != GgufValueType.BOOL) {
            throw wrongType(key, "BOOL", value);
        }
        return (Boolean) value.value();
    }

    public boolean getBooleanOrDefault(String key, boolean fallback) {
        return contains(key) ? getBoolean(key) : fallback;
    }

    public Optional<Boolean> findBoolean(String key) {
        return contains(key) ? Optional.of(getBoolean(key)) : Optional.empty();
    }

    /** An ARRAY of STRING. The array returned is the stored one: do not change it. */
    public String[] getStringArray(String key) {
        GgufValue value = require(key);
        if (value.type() != GgufValueType.ARRAY || value.elementType() != GgufValueType.STRING) {
            throw wrongType(key, "ARRAY of STRING", value);
        }
        return (String[]) value.value();
    }

    public String[] getStringArrayOrDefault(String key, String[] fallback) {
        return contains(key) ? getStringArray(key) : fallback;
    }

    /** An ARRAY of FLOAT32 (the stored array: do not change it), FLOAT64 or integers (converted). */
    public float[] getFloatArray(String key) {
        GgufValue value = require(key);
        if (value.type() == GgufValueType.ARRAY) {
            switch (value.value()) {
                case float[] floats -> {
                    return floats;
                }
                case double[] doubles -> {
                    float[] result = new float[doubles.length];
                    for (int i = 0; i < doubles.length; i++) {
                        result[i] = (float) doubles[i];
                    }
                    return result;
                }
                case int[] ints -> {
                    float[] result = new float[ints.length];
                    for (int i = 0; i < ints.length; i++) {
                        result[i] = ints[i];
                    }
                    return result;
                }
                case long[] longs -> {
                    float[] result = new float[longs.length];
                    for (int i = 0; i < longs.length; i++) {
                        result[i] = longs[i];
                    }
                    return result;
                }
                default -> { }
            }
        }
        throw wrongType(key, "ARRAY of FLOAT32, FLOAT64 or integers", value);
    }

    public float[] getFloatArrayOrDefault(String key, float[] fallback) {
        return contains(key) ? getFloatArray(key) : fallback;
    }

    /** An ARRAY of any integer type whose values fit in an {@code int}. */
    public int[] getIntArray(String key) {
        GgufValue value = require(key);
        if (value.type() == GgufValueType.ARRAY) {
            if (value.value() instanceof int[] ints) {
                return ints;
            }
            if (value.value() instanceof long[] longs) {
                int[] result = new int[longs.length];
                for (int i = 0; i < longs.length; i++) {
                    if (longs[i] < Integer.MIN_VALUE || longs[i] > Integer.MAX_VALUE) {
                        throw GgufException.of(file, "metadata key '" + key + "' element " + i
                                + " does not fit in a 32-bit int", "values in the int range", value.describe()
                                + " element " + (value.elementType() == GgufValueType.UINT64
                                        ? Long.toUnsignedString(longs[i]) : Long.toString(longs[i])));
                    }
                    result[i] = (int) longs[i];
                }
                return result;
            }
        }
        throw wrongType(key, "ARRAY of an integer type", value);
    }

    public int[] getIntArrayOrDefault(String key, int[] fallback) {
        return contains(key) ? getIntArray(key) : fallback;
    }

    private GgufValue require(String key) {
        GgufValue value = values.get(key);
        if (value == null) {
            throw GgufException.of(file, "required metadata key '" + key + "' is missing",
                    "the key to be present", "it absent among " + values.size() + " keys");
        }
        return value;
    }

    private GgufException wrongType(String key, String expected, GgufValue found) {
        return GgufException.of(file, "metadata key '" + key + "' has the wrong type", expected, found.describe());
    }

    @Override
    public String toString() {
        return "GgufMetadata" + values;
    }
}
