package io.llmswarm.gguf;

import java.nio.file.Path;

/**
 * A GGUF file that cannot be read or written as asked. The message names the file, what was
 * expected and what was found, so the caller can pass it on unchanged.
 */
public class GgufException extends RuntimeException {

    public GgufException(String message) {
        super(message);
    }

    public GgufException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A problem in {@code file}: "{file}: {what}; expected {expected}, found {found}". */
    public static GgufException of(Path file, String what, String expected, String found) {
        return new GgufException(file + ": " + what + "; expected " + expected + ", found " + found);
    }
}
