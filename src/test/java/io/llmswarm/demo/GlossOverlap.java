package io.llmswarm.demo;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Whether an answer is about the right thing: it shares a content word (not a stop word, three
 * letters or more, a plural "s" dropped) with the WordNet gloss.
 */
final class GlossOverlap {

    private static final Set<String> STOP_WORDS = Set.of("the", "and", "for", "that", "with", "from", "which", "who",
            "whom", "whose", "this", "these", "those", "its", "are", "was", "were", "has", "have", "had", "been", "being",
            "into", "onto", "upon", "not", "but", "any", "all", "one", "some", "such", "than", "other", "used", "use",
            "usually", "especially", "often", "something", "someone", "made", "can", "may", "more", "most", "very",
            "also", "each", "their", "them", "they", "his", "her", "him", "she", "you", "your", "our", "out", "over",
            "under", "about", "between", "through", "when", "where", "what", "how", "there", "then", "make", "act",
            "state", "quality", "person", "thing", "part", "kind", "form");

    private GlossOverlap() {
    }

    static boolean sharesContentWord(String answer, String gloss) {
        Set<String> glossWords = contentWords(gloss);
        for (String word : contentWords(answer)) {
            if (glossWords.contains(word)) {
                return true;
            }
        }
        return false;
    }

    static Set<String> contentWords(String text) {
        Set<String> words = new HashSet<>();
        for (String raw : text.toLowerCase(Locale.ROOT).split("[^a-z]+")) {
            String word = raw.length() > 3 && raw.endsWith("s") && !raw.endsWith("ss") ? raw.substring(0, raw.length() - 1) : raw;
            if (word.length() >= 3 && !STOP_WORDS.contains(word)) {
                words.add(word);
            }
        }
        return words;
    }
}
