package io.llmswarm.gguf;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A made-up SentencePiece ("llama") vocabulary of any size that llama.cpp accepts, laid out as
 * Llama 2 / TinyLlama's: {@code <unk>} 0, {@code <s>} 1, {@code </s>} 2, the 256 byte tokens
 * {@code <0x00>}..{@code <0xFF>} (type 6), then pieces. Pieces come in a fixed order with falling
 * scores: "▁", single characters, "▁"+letter, common English words (with every prefix, so
 * SentencePiece's pairwise merges can build them), common suffixes, then letter pairs and
 * triples. The same size always gives the same vocabulary.
 */
public final class SyntheticVocabulary {

    public static final int UNK = 0;
    public static final int BOS = 1;
    public static final int EOS = 2;
    /** Specials and byte tokens: the smallest vocabulary is this plus one piece. */
    public static final int FIXED_TOKENS = 3 + 256;

    /** TinyLlama / Zephyr's chat format: {@code <|role|>} headers, each turn closed by EOS. */
    public static final String ZEPHYR_CHAT_TEMPLATE = "{% for message in messages %}\n"
            + "{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n"
            + "{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n"
            + "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n"
            + "{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n"
            + "{% endfor %}";

    private static final String SPACE = "\u2581";
    private static final String LOWER = "abcdefghijklmnopqrstuvwxyz";
    private static final List<String> WORDS = List.of("the", "of", "and", "to", "in", "is", "you", "that", "it",
            "he", "was", "for", "on", "are", "as", "with", "his", "they", "at", "be", "this", "have", "from", "or",
            "one", "had", "by", "word", "but", "not", "what", "all", "were", "we", "when", "your", "can", "said",
            "there", "use", "an", "each", "which", "she", "do", "how", "their", "if", "will", "up", "other",
            "about", "out", "many", "then", "them", "these", "so", "some", "her", "would", "make", "like", "him",
            "into", "time", "has", "look", "two", "more", "write", "go", "see", "number", "no", "way", "could",
            "people", "my", "than", "first", "water", "been", "call", "who", "its", "now", "find", "long", "down",
            "day", "did", "get", "come", "made", "may", "part", "hello", "world", "story", "once", "upon", "cat",
            "dog", "sun", "blue", "sky", "happy", "little", "girl", "boy", "name", "Hello", "The", "I", "A", "It",
            "Once", "What", "user", "assistant", "system");
    private static final List<String> SUFFIXES = List.of("ing", "ed", "er", "es", "ly", "tion", "al", "est", "ment",
            "ness", "able", "ful", "less", "ous", "ive", "en", "s", "y");
    // Newline is left to the byte token <0x0A>, as in Llama 2.
    private static final String SINGLE_CHARACTERS = LOWER + LOWER.toUpperCase() + "0123456789.,!?'\"-:;()<>|/";

    private SyntheticVocabulary() {
    }

    /** A vocabulary of exactly {@code size} tokens with BOS added to prompts and the Zephyr chat template. */
    public static Vocabulary sentencePiece(int size) {
        if (size <= FIXED_TOKENS) {
            throw new IllegalArgumentException("a SentencePiece vocabulary needs more than " + FIXED_TOKENS
                    + " tokens (3 specials and 256 bytes), asked for " + size);
        }
        String[] tokens = new String[size];
        float[] scores = new float[size];
        int[] types = new int[size];
        tokens[UNK] = "<unk>";
        types[UNK] = Vocabulary.TYPE_UNKNOWN;
        tokens[BOS] = "<s>";
        types[BOS] = Vocabulary.TYPE_CONTROL;
        tokens[EOS] = "</s>";
        types[EOS] = Vocabulary.TYPE_CONTROL;
        for (int b = 0; b < 256; b++) {
            tokens[3 + b] = String.format("<0x%02X>", b);
            types[3 + b] = Vocabulary.TYPE_BYTE;
        }
        Set<String> pieces = pieces(size - FIXED_TOKENS);
        if (pieces.size() < size - FIXED_TOKENS) {
            throw new IllegalArgumentException("can make at most " + (FIXED_TOKENS + pieces.size())
                    + " tokens, asked for " + size);
        }
        int id = FIXED_TOKENS;
        for (String piece : pieces) {
            tokens[id] = piece;
            scores[id] = -(id - FIXED_TOKENS); // earlier pieces merge first
            types[id] = Vocabulary.TYPE_NORMAL;
            id++;
        }
        return new Vocabulary("llama", null, tokens, scores, types, null, BOS, EOS, UNK, -1, true, false,
                ZEPHYR_CHAT_TEMPLATE);
    }

    private static Set<String> pieces(int wanted) {
        Set<String> pieces = new LinkedHashSet<>();
        pieces.add(SPACE);
        for (char c : SINGLE_CHARACTERS.toCharArray()) {
            pieces.add(String.valueOf(c));
        }
        for (char c : (LOWER + LOWER.toUpperCase()).toCharArray()) {
            pieces.add(SPACE + c);
        }
        for (String word : WORDS) {
            for (int end = 1; end <= word.length(); end++) {
                pieces.add(SPACE + word.substring(0, end));
            }
        }
        for (String suffix : SUFFIXES) {
            for (int end = 1; end <= suffix.length(); end++) {
                pieces.add(suffix.substring(0, end));
            }
        }
        // Letter combinations, shortest first, until there are enough.
        for (int length = 2; length <= 4 && pieces.size() < wanted; length++) {
            addCombinations(pieces, SPACE, length, wanted);
            addCombinations(pieces, "", length, wanted);
        }
        return pieces.size() > wanted ? new LinkedHashSet<>(List.copyOf(pieces).subList(0, wanted)) : pieces;
    }

    private static void addCombinations(Set<String> pieces, String prefix, int length, int wanted) {
        int count = 1;
        for (int i = 0; i < length; i++) {
            count *= LOWER.length();
        }
        char[] letters = new char[length];
        for (int n = 0; n < count && pieces.size() < wanted; n++) {
            int rest = n;
            for (int i = length - 1; i >= 0; i--) {
                letters[i] = LOWER.charAt(rest % LOWER.length());
                rest /= LOWER.length();
            }
            pieces.add(prefix + new String(letters));
        }
    }
}
