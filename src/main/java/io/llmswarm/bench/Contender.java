package io.llmswarm.bench;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One row per weight type in the report: a backend, and for the Java engine a variant, a label
 * with extra options for its child JVM ({@code avx2} with {@code -XX:UseAVX=2}), so that one run
 * can show the engine at several vector widths side by side.
 *
 * <p>The {@code llama.cpp-current} backend has a driver instead: node-llama-cpp under Node.js or the
 * native C program on the same libraries; where a run has both, each is a row labelled by it.
 *
 * @param variant    the variant's label, empty for a backend run as it is
 * @param jvmOptions options added after the parent's JVM options (so they win), none for other backends
 * @param driver     how llama.cpp-current runs; null for the other backends
 */
record Contender(Backend backend, String variant, List<String> jvmOptions, LlamaCurrentDriver driver) {

    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9._+-]+");

    Contender {
        jvmOptions = List.copyOf(jvmOptions);
        if (!variant.isEmpty() && !LABEL.matcher(variant).matches()) {
            throw new IllegalArgumentException("a variant's label is letters, digits and . _ + -; got '" + variant + "'");
        }
        if (!jvmOptions.isEmpty() && backend.process() != Backend.Process.JVM) {
            throw new IllegalArgumentException(backend.label() + " does not run in a JVM; it takes no JVM options");
        }
        if ((driver != null) != (backend == Backend.LLAMA_CPP_CURRENT)) {
            throw new IllegalArgumentException("only llama.cpp-current has a driver, and it needs one");
        }
    }

    /** A contender of {@code backend}; llama.cpp-current's driver is node-llama-cpp's. */
    Contender(Backend backend, String variant, List<String> jvmOptions) {
        this(backend, variant, jvmOptions, backend == Backend.LLAMA_CPP_CURRENT ? LlamaCurrentDriver.NODE : null);
    }

    /** {@code backend} as it is: no variant, no extra options (llama.cpp-current through node-llama-cpp). */
    static Contender of(Backend backend) {
        return new Contender(backend, "", List.of());
    }

    /**
     * llama.cpp-current through {@code driver}; {@code labelled}: the row is named by its driver
     * ({@code llama.cpp-current native}), for runs that have both drivers.
     */
    static Contender llamaCurrent(LlamaCurrentDriver driver, boolean labelled) {
        return new Contender(Backend.LLAMA_CPP_CURRENT, labelled ? driver.label() : "", List.of(), driver);
    }

    /** What the child process is: a JVM, node with the script, or the native driver. */
    Backend.Process process() {
        if (driver == LlamaCurrentDriver.NATIVE) {
            return Backend.Process.NATIVE;
        }
        return backend.process();
    }

    /** The row's name in the report: {@code java}, {@code java avx2 (-XX:UseAVX=2)}, {@code java default}. */
    String label() {
        if (variant.isEmpty()) {
            return backend.label();
        }
        return backend.label() + " " + variant + (jvmOptions.isEmpty() ? "" : " (" + String.join(" ", jvmOptions) + ")");
    }

    /** The row's name in log file names: {@code java}, {@code java-avx2}. */
    String fileLabel() {
        return variant.isEmpty() ? backend.label() : backend.label() + "-" + variant;
    }

    /**
     * The Java engine's variants of {@code --java-variants}: {@code label=options} separated by
     * {@code ;}, the options split at white space, e.g. {@code default=;avx2=-XX:UseAVX=2;128bit=-XX:MaxVectorSize=16}.
     * Only the first {@code =} of a variant ends its label, since options hold {@code =} themselves.
     */
    static List<Contender> javaVariants(String spec) {
        List<Contender> variants = new ArrayList<>();
        Set<String> labels = new HashSet<>();
        for (String entry : spec.split(";")) {
            if (entry.isBlank()) {
                continue;
            }
            int equals = entry.indexOf('=');
            if (equals < 0) {
                throw new IllegalArgumentException("a Java variant is label=options (options may be empty); got '"
                        + entry.trim() + "'");
            }
            String label = entry.substring(0, equals).trim();
            List<String> options = new ArrayList<>();
            for (String option : entry.substring(equals + 1).trim().split("\\s+")) {
                if (option.isEmpty()) {
                    continue;
                }
                if (!option.startsWith("-")) {
                    throw new IllegalArgumentException("variant '" + label + "': '" + option
                            + "' is not a JVM option (they start with -)");
                }
                options.add(option);
            }
            if (label.isEmpty()) {
                throw new IllegalArgumentException("a Java variant needs a label before '=': '" + entry.trim() + "'");
            }
            if (!labels.add(label)) {
                throw new IllegalArgumentException("two Java variants are labelled '" + label + "'");
            }
            variants.add(new Contender(Backend.JAVA, label, options));
        }
        if (variants.isEmpty()) {
            throw new IllegalArgumentException("no Java variant in '" + spec + "'");
        }
        return variants;
    }
}
