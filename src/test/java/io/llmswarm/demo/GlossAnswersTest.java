package io.llmswarm.demo;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How often the demo model's greedy answer to "What is X?" shares a content word with X's WordNet
 * gloss, for 30 nouns it was trained on and 30 it never saw (held out by build_corpus.py). The
 * counts are printed; the floors are modest (see tools/demo-model/README.md for the measured counts).
 */
class GlossAnswersTest {

    /** Measured 29 (the model trained on "What is X?" alone: 30). */
    private static final int TRAINED_FLOOR = 25;
    /** Measured 1 (before: 2): the model is too small to know unseen nouns; the floor is that one answer. */
    private static final int HELD_OUT_FLOOR = 1;

    record Pair(String question, String gloss) {
    }

    @Test
    void answersShareWordsWithTheirGlosses() throws IOException {
        int trained = countSensible("trained", read("/demo/trained-sample.tsv"));
        int heldOut = countSensible("held-out", read("/demo/heldout-sample.tsv"));
        System.out.println("answers sharing a content word with the gloss: trained " + trained + "/30, held-out " + heldOut + "/30");
        assertTrue(trained >= TRAINED_FLOOR, "trained words: only " + trained + " of 30 answers share a word with the gloss");
        assertTrue(heldOut >= HELD_OUT_FLOOR, "held-out words: only " + heldOut + " of 30 answers share a word with the gloss");
    }

    private static int countSensible(String label, List<Pair> pairs) {
        assertEquals(30, pairs.size(), label + " sample size");
        int sensible = 0;
        for (Pair pair : pairs) {
            String answer = DemoModel.answer(pair.question());
            boolean shares = GlossOverlap.sharesContentWord(answer, pair.gloss());
            sensible += shares ? 1 : 0;
            System.out.println((shares ? "+ " : "- ") + label + " | " + pair.question() + " | " + answer.strip() + " | gloss: " + pair.gloss());
        }
        return sensible;
    }

    private static List<Pair> read(String resource) throws IOException {
        try (InputStream in = GlossAnswersTest.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("test resource " + resource + " is missing: run tools/demo-model/build_corpus.py");
            }
            List<Pair> pairs = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                String[] fields = line.split("\t", -1);
                if (fields.length != 2) {
                    throw new IllegalStateException(resource + ": expected question TAB gloss, found " + line);
                }
                pairs.add(new Pair(fields[0], fields[1]));
            }
            return pairs;
        }
    }
}
