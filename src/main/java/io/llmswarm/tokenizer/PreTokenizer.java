package io.llmswarm.tokenizer;

/**
 * Splits text into words before BPE, as llama.cpp's hand-written matchers for the GPT-2 and
 * Llama 3 regular expressions do (unicode.cpp). Qwen2's expression is Llama 3's with single digits.
 * Character classes follow llama.cpp: letters are Unicode L*, numbers N*, whitespace is the
 * Unicode White_Space property.
 */
enum PreTokenizer {
    /** {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+} */
    GPT2,
    /** {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+} */
    LLAMA3,
    /** Llama 3's expression with {@code \p{N}} instead of {@code \p{N}{1,3}}. */
    QWEN2,
    /**
     * llama.cpp's fallback for BPE files with a missing or unknown pre-tokenizer: four expressions
     * one after another, each keeping its matches and the text between them as separate words:
     * {@code [\p{P}\$\+<=>\^~\|]+}, then GPT-2's, then {@code \p{N}+}, then {@code [0-9][0-9][0-9]}.
     */
    DEFAULT;

    /** The pre-tokenizer llama.cpp picks for a {@code tokenizer.ggml.pre} value. */
    static PreTokenizer forName(String pre) {
        return switch (pre) {
            case "llama3", "llama-v3", "llama-bpe", "falcon3", "dbrx", "smaug-bpe", "chatglm-bpe" -> LLAMA3;
            case "qwen2", "stablelm2", "megrez" -> QWEN2;
            case "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v1-en", "jina-v2-es", "jina-v2-de",
                 "jina-v2-code", "roberta-bpe", "mpt", "olmo", "jais" -> GPT2;
            default -> DEFAULT;
        };
    }

    /** Appends the end (exclusive, in code points) of each word of {@code cps}. */
    void split(int[] cps, IntList ends) {
        if (this == DEFAULT) {
            DefaultSplit.split(cps, ends);
            return;
        }
        Cursor cursor = new Cursor(cps);
        if (this == GPT2) {
            while (cursor.pos < cps.length) {
                ends.add(cursor.gpt2Word());
            }
        } else {
            int maxDigits = this == LLAMA3 ? 3 : 1;
            while (cursor.pos < cps.length) {
                ends.add(cursor.llama3Word(maxDigits));
            }
        }
    }

    private static final class Cursor {
        private static final int OUT_OF_RANGE = -1;
        private final int[] cps;
        int pos;

        Cursor(int[] cps) {
            this.cps = cps;
        }

        private int at(int i) {
            return i < cps.length ? cps[i] : OUT_OF_RANGE;
        }

        private boolean letter(int i) {
            return i < cps.length && isLetter(cps[i]);
        }

        private boolean number(int i) {
            return i < cps.length && isNumber(cps[i]);
        }

        private boolean whitespace(int i) {
            return i < cps.length && isWhitespace(cps[i]);
        }

        /** Neither whitespace, letter nor number, and inside the text. */
        private boolean other(int i) {
            return i < cps.length && !isWhitespace(cps[i]) && !isLetter(cps[i]) && !isNumber(cps[i]);
        }

        private int contraction(boolean ignoreCase) {
            if (at(pos) != '\'' || pos + 1 >= cps.length) {
                return 0;
            }
            int next = lower(at(pos + 1), ignoreCase);
            if (next == 's' || next == 't' || next == 'm' || next == 'd') {
                return 2;
            }
            if (pos + 2 < cps.length) {
                int after = lower(at(pos + 2), ignoreCase);
                if ((next == 'r' && after == 'e') || (next == 'v' && after == 'e') || (next == 'l' && after == 'l')) {
                    return 3;
                }
            }
            return 0;
        }

        private static int lower(int cp, boolean ignoreCase) {
            return ignoreCase ? Character.toLowerCase(cp) : cp;
        }

        private int take(int end) {
            pos = end;
            return end;
        }

        int gpt2Word() {
            int c = contraction(false);
            if (c > 0) {
                return take(pos + c);
            }
            int cp = at(pos);
            int first = cp == ' ' ? pos + 1 : pos;
            if (letter(first)) {
                int end = first;
                while (letter(end)) {
                    end++;
                }
                return take(end);
            }
            if (number(first)) {
                int end = first;
                while (number(end)) {
                    end++;
                }
                return take(end);
            }
            if (other(first)) {
                int end = first;
                while (other(end)) {
                    end++;
                }
                return take(end);
            }
            return whitespaceRun(false);
        }

        int llama3Word(int maxDigits) {
            int c = contraction(true);
            if (c > 0) {
                return take(pos + c);
            }
            int cp = at(pos);
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if (cp != '\r' && cp != '\n' && !number(pos) && (letter(pos) || letter(pos + 1))) {
                int end = pos + 1;
                while (letter(end)) {
                    end++;
                }
                return take(end);
            }
            // \p{N}{1,maxDigits}
            if (number(pos)) {
                int end = pos;
                while (number(end) && end - pos < maxDigits) {
                    end++;
                }
                return take(end);
            }
            // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
            int first = cp == ' ' ? pos + 1 : pos;
            if (other(first)) {
                int end = first;
                while (other(end)) {
                    end++;
                }
                while (at(end) == '\r' || at(end) == '\n') {
                    end++;
                }
                return take(end);
            }
            return whitespaceRun(true);
        }

        /** \s*[\r\n]+ (Llama 3 only), \s+(?!\S), \s+, or else a single character. */
        private int whitespaceRun(boolean newlines) {
            int count = 0;
            int lastNewlineEnd = 0;
            while (whitespace(pos + count)) {
                int cp = at(pos + count);
                if (cp == '\r' || cp == '\n') {
                    lastNewlineEnd = pos + count + 1;
                }
                count++;
            }
            if (newlines && lastNewlineEnd > 0) {
                return take(lastNewlineEnd);
            }
            if (count > 1 && pos + count < cps.length) {
                return take(pos + count - 1); // leave the last space to the word that follows
            }
            if (count > 0) {
                return take(pos + count);
            }
            return take(pos + 1);
        }
    }

    static boolean isLetter(int cp) {
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> true;
            default -> false;
        };
    }

    static boolean isNumber(int cp) {
        return switch (Character.getType(cp)) {
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> true;
            default -> false;
        };
    }

    /** The Unicode White_Space property, which is what llama.cpp's tables hold. */
    static boolean isWhitespace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }
}
