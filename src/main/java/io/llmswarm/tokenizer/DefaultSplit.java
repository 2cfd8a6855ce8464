package io.llmswarm.tokenizer;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * llama.cpp's default BPE pre-tokenization: four splits applied in turn to every word the previous
 * one left. Its regular-expression engine sees non-ASCII characters only by category, so a class
 * such as \p{P} means the listed ASCII characters plus any non-ASCII character of that category.
 */
final class DefaultSplit {
    private DefaultSplit() {
    }

    static void split(int[] cps, IntList ends) {
        IntList words = new IntList(8);
        words.add(cps.length);
        words = isolateRuns(cps, words, DefaultSplit::isPunctuationOrSymbol);
        words = gpt2(cps, words);
        words = isolateRuns(cps, words, DefaultSplit::isNumber);
        words = isolateDigitTriples(cps, words);
        for (int i = 0; i < words.size(); i++) {
            ends.add(words.get(i));
        }
    }

    /** Maximal runs of matching characters become words, and so does the text between them. */
    private static IntList isolateRuns(int[] cps, IntList words, IntPredicate matches) {
        IntList result = new IntList(words.size() * 2);
        int start = 0;
        for (int w = 0; w < words.size(); w++) {
            int end = words.get(w);
            for (int i = start + 1; i < end; i++) {
                if (matches.test(cps[i]) != matches.test(cps[i - 1])) {
                    result.add(i);
                }
            }
            result.add(end);
            start = end;
        }
        return result;
    }

    private static IntList gpt2(int[] cps, IntList words) {
        IntList result = new IntList(words.size() * 2);
        IntList local = new IntList(8);
        int start = 0;
        for (int w = 0; w < words.size(); w++) {
            int end = words.get(w);
            local.clear();
            PreTokenizer.GPT2.split(Arrays.copyOfRange(cps, start, end), local);
            for (int i = 0; i < local.size(); i++) {
                result.add(start + local.get(i));
            }
            start = end;
        }
        return result;
    }

    /** [0-9][0-9][0-9], leftmost first, without overlap. */
    private static IntList isolateDigitTriples(int[] cps, IntList words) {
        IntList result = new IntList(words.size() * 2);
        int start = 0;
        for (int w = 0; w < words.size(); w++) {
            int end = words.get(w);
            int i = start;
            while (i + 2 < end) {
                if (isAsciiDigit(cps[i]) && isAsciiDigit(cps[i + 1]) && isAsciiDigit(cps[i + 2])) {
                    if (i > start) {
                        result.add(i);
                    }
                    result.add(i + 3);
                    start = i + 3;
                    i += 3;
                } else {
                    i++;
                }
            }
            if (start < end) {
                result.add(end);
            }
            start = end;
        }
        return result;
    }

    private static boolean isAsciiDigit(int cp) {
        return cp >= '0' && cp <= '9';
    }

    /** [\p{P}\$\+<=>\^~\|]: every ASCII punctuation or symbol but the backtick, and non-ASCII punctuation. */
    private static boolean isPunctuationOrSymbol(int cp) {
        if (cp < 128) {
            return cp > ' ' && cp < 127 && cp != '`' && !Character.isLetterOrDigit(cp);
        }
        if (PreTokenizer.isWhitespace(cp)) {
            return false;
        }
        return switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    /** \p{N}: ASCII digits and non-ASCII numbers. */
    private static boolean isNumber(int cp) {
        return cp < 128 ? isAsciiDigit(cp) : !PreTokenizer.isWhitespace(cp) && PreTokenizer.isNumber(cp);
    }
}
