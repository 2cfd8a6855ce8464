package io.llmswarm.cli;

import io.llmswarm.cluster.HiddenEncoding;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;
import java.util.Locale;

/**
 * picocli converters for the units of node settings, whichever source the text came from (a flag,
 * an {@code LLMSWARM_*} variable, the config file): durations ({@code 250ms}, {@code 60s},
 * {@code 5m}, {@code 1h}), sizes ({@code 512m}, {@code 8g}, bytes), whole numbers and the hidden-state
 * encoding. A bad value says what it should look like; {@link NodeConfig} puts the setting's name in front.
 */
final class Units {

    private Units() {
    }

    /** {@code 250ms}, {@code 60s}, {@code 5m}, {@code 1h}. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String text) {
            return parseDuration(text);
        }
    }

    /** {@code 512m}, {@code 8g}, {@code 1.5g}, or a number of bytes. */
    static final class ByteSize implements ITypeConverter<Long> {
        @Override
        public Long convert(String text) {
            return parseBytes(text);
        }
    }

    /** A whole number (surrounding blanks allowed, as a config file may have them). */
    static final class WholeNumber implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String text) {
            try {
                return Integer.parseInt(text.trim());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("must be a whole number; got '" + text + "'");
            }
        }
    }

    /** {@code f32} or {@code f16}, any case. */
    static final class HiddenDtype implements ITypeConverter<HiddenEncoding> {
        @Override
        public HiddenEncoding convert(String text) {
            try {
                return HiddenEncoding.valueOf(text.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("must be f32 or f16; got '" + text + "'");
            }
        }
    }

    static Duration parseDuration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2).trim()));
            }
            long amount = Long.parseLong(t.substring(0, t.length() - 1).trim());
            return switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(amount);
                case 'm' -> Duration.ofMinutes(amount);
                case 'h' -> Duration.ofHours(amount);
                default -> throw new NumberFormatException();
            };
        } catch (RuntimeException e) {
            throw new TypeConversionException("looks like 250ms, 60s, 5m or 1h; got '" + text + "'");
        }
    }

    static long parseBytes(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT).replace("ib", "").replace("b", "");
        long unit = 1;
        if (!t.isEmpty() && "kmgt".indexOf(t.charAt(t.length() - 1)) >= 0) {
            unit = 1L << (10 * ("kmgt".indexOf(t.charAt(t.length() - 1)) + 1));
            t = t.substring(0, t.length() - 1);
        }
        try {
            return Math.round(Double.parseDouble(t) * unit);
        } catch (NumberFormatException e) {
            throw new TypeConversionException("looks like 512m, 8g or a number of bytes; got '" + text + "'");
        }
    }
}
