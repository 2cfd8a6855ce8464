package io.llmswarm.bench;

import java.util.List;
import java.util.function.ToIntFunction;

/**
 * Makes an English-looking prompt of an exact token count for a given tokenizer: it appends
 * words while they fit, and tries shorter pieces where a word would overshoot.
 */
final class PromptBuilder {

    private static final List<String> WORDS = List.of(
            "Once", " upon", " a", " time", ",", " the", " little", " robot", " walked", " along", " the",
            " river", " and", " counted", " the", " stones", " it", " found", ".");
    private static final List<String> PIECES = List.of(" a", " I", "a", "e", " ", ".", ",");

    private PromptBuilder() {
    }

    /**
     * A prompt of exactly {@code tokens} tokens as {@code countTokens} counts them (BOS included
     * where the tokenizer adds it).
     */
    static String ofTokens(int tokens, ToIntFunction<String> countTokens) {
        StringBuilder prompt = new StringBuilder();
        int count = countTokens.applyAsInt("");
        int word = 0;
        while (count < tokens) {
            String next = WORDS.get(word++ % WORDS.size());
            int grown = countTokens.applyAsInt(prompt + next);
            if (grown > tokens || grown <= count) {
                next = null;
                for (String piece : PIECES) {
                    int withPiece = countTokens.applyAsInt(prompt + piece);
                    if (withPiece > count && withPiece <= tokens) {
                        next = piece;
                        grown = withPiece;
                        break;
                    }
                }
                if (next == null) {
                    throw new IllegalStateException("cannot make a prompt of exactly " + tokens
                            + " tokens with this tokenizer; got to " + count + " with '" + prompt + "'");
                }
            }
            prompt.append(next);
            count = grown;
        }
        return prompt.toString();
    }
}
