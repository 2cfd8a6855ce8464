package io.llmswarm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Known ids (llama.cpp's own tokenizer tests), decoding, streaming and special tokens on the real vocabularies. */
class TokenizerTest {
    private static final Tokenizer LLAMA2 = Tokenizer.of(TestVocabularies.llama2());
    private static final Tokenizer LLAMA3 = Tokenizer.of(TestVocabularies.llama3());

    @Test
    void llama2GivesTheIdsLlamaCppsTestsExpect() {
        assertArrayEquals(new int[] {1, 15043, 3186}, LLAMA2.encode("Hello world", true, false));
        assertArrayEquals(new int[] {29871, 15043, 3186}, LLAMA2.encode(" Hello world", false, false));
        assertArrayEquals(new int[] {15043, 2787}, LLAMA2.encode("Hello World", false, false));
        assertArrayEquals(new int[] {15043, 29892, 3186, 29991}, LLAMA2.encode("Hello, world!", false, false));
    }

    @Test
    void llama2FallsBackToBytesForCharactersItLacks() {
        // the llama emoji is no token: its four UTF-8 bytes are <0xF0><0x9F><0xA6><0x99> (byte ids are 3 + byte)
        assertArrayEquals(new int[] {29871, 3 + 0xF0, 3 + 0x9F, 3 + 0xA6, 3 + 0x99}, LLAMA2.encode("🦙", false, false));
    }

    @Test
    void llama3GivesTheIdsLlamaCppsTestsExpect() {
        assertArrayEquals(new int[] {128000, 9906, 1917}, LLAMA3.encode("Hello world", true, false));
        assertArrayEquals(new int[] {22691, 1917}, LLAMA3.encode(" Hello world", false, false));
    }

    @Test
    void specialTokenTextBecomesATokenOnlyWhenAsked() {
        int[] parsed = LLAMA3.encode("<|eot_id|>", false, true);
        assertArrayEquals(new int[] {128009}, parsed);
        int[] literal = LLAMA3.encode("<|eot_id|>", false, false);
        assertTrue(literal.length > 1, "plain text: " + Arrays.toString(literal));
        assertArrayEquals(new int[] {1, 1}, LLAMA2.encode("<s>", true, true)); // BOS added, and the text parsed
    }

    @Test
    void decodeDropsTheSentencePiecePrefixSpaceAndHidesControlTokens() {
        assertEquals("Hello world", LLAMA2.decode(LLAMA2.encode("Hello world", false, false)));
        // llama.cpp strips the space from the first token only: after BOS it stays
        assertEquals(" Hello world", LLAMA2.decode(LLAMA2.encode("Hello world", true, false)));
        assertEquals("Hello world", LLAMA3.decode(LLAMA3.encode("Hello world", true, false)));
        assertEquals("<|eot_id|>", LLAMA3.tokenPiece(128009));
        assertEquals("", LLAMA3.decode(new int[] {128009}));
    }

    @Test
    void decodeRoundTripsTheCorpusThroughLlama3() {
        for (String text : TokenizerCorpus.strings()) {
            if (text.contains("<|") || text.contains("\u0000") || text.contains(" ?") || text.contains(" '")
                    || text.contains(" ,") || text.contains(" .") || text.contains(" !")) {
                continue; // special tokens are hidden and llama.cpp's space clean-up changes these on purpose
            }
            assertEquals(text, LLAMA3.decode(LLAMA3.encode(text, false, false)), text);
        }
    }

    @Test
    void llama3CleansSpacesBeforePunctuationLikeLlamaCpp() {
        assertEquals("Hi? Yes! It's a test.", LLAMA3.decode(LLAMA3.encode("Hi ? Yes ! It 's a test .", false, false)));
    }

    @Test
    void streamingReleasesAByteFallbackCharacterOnlyWhenComplete() {
        StreamingDecoder stream = LLAMA2.streamingDecoder();
        assertEquals("", stream.accept(3 + 0xE2));
        assertEquals("", stream.accept(3 + 0x82));
        assertTrue(stream.hasPending());
        assertEquals("€", stream.accept(3 + 0xAC));
        assertFalse(stream.hasPending());
    }

    @Test
    void streamingNeverSplitsACharacterAndAddsUpToDecode() {
        for (Tokenizer tokenizer : List.of(LLAMA2, LLAMA3)) {
            for (String text : List.of("Hi 🦙! ", "日本語のテキスト", "naïve €5 👨‍👩‍👧‍👦", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ✓")) {
                int[] ids = tokenizer.encode(text, false, false);
                StreamingDecoder stream = tokenizer.streamingDecoder();
                List<String> pieces = new ArrayList<>();
                for (int id : ids) {
                    String piece = stream.accept(id);
                    assertFalse(piece.contains("\uFFFD"), "split character in " + pieces + " + " + piece);
                    pieces.add(piece);
                }
                assertEquals("", stream.flush());
                // The SentencePiece vocabulary writes the space it put before the text, as llama.cpp's pieces do.
                String prefix = tokenizer == LLAMA2 ? " " : "";
                assertEquals(prefix + tokenizer.decode(ids), String.join("", pieces), text);
                assertEquals(prefix + text, String.join("", pieces));
            }
        }
    }

    @Test
    void serverStyleStreamingKeepsTheFirstSpaceLikeLlamaCppsServer() {
        StreamingDecoder stream = LLAMA2.streamingDecoder();
        assertEquals(" Hello", stream.accept(15043));
        assertEquals("Hello", LLAMA2.decode(new int[]{15043}));
    }

    @Test
    void endOfGenerationCoversEosAndTurnEnds() {
        assertTrue(LLAMA2.isEndOfGeneration(2));
        assertFalse(LLAMA2.isEndOfGeneration(1));
        assertTrue(LLAMA3.isEndOfGeneration(128009));
        assertTrue(LLAMA3.isEndOfGeneration(128008)); // <|eom_id|>
        assertFalse(LLAMA3.isEndOfGeneration(128000));
        assertEquals(128256, LLAMA3.vocabularySize());
        assertEquals(128000, LLAMA3.bos());
        assertEquals(2, LLAMA2.eos());
    }

    @Test
    void userDefinedTokensAreMatchedEvenWithoutParseSpecial() {
        Tokenizer qwen = Tokenizer.of(TestVocabularies.qwen3());
        int[] ids = qwen.encode("<think>hmm</think>", false, false);
        assertEquals(151667, ids[0]);
        assertEquals(151668, ids[ids.length - 1]);
        int[] control = qwen.encode("<|im_end|>", false, false);
        assertTrue(control.length > 1, "a control token's text stays text without parseSpecial");
        assertArrayEquals(new int[] {151645}, qwen.encode("<|im_end|>", true, true)); // Qwen adds no BOS
        assertTrue(qwen.isEndOfGeneration(151645));
        assertTrue(qwen.isEndOfGeneration(151643)); // <|endoftext|>
        assertEquals("<think>", qwen.decode(new int[] {151667})); // user-defined tokens are text
    }

    @Test
    void qwenDoesNotCleanSpacesBeforePunctuation() {
        Tokenizer qwen = Tokenizer.of(TestVocabularies.qwen3());
        assertEquals("Hi ? Yes !", qwen.decode(qwen.encode("Hi ? Yes !", false, false)));
    }

    @Test
    void anIdOutsideTheVocabularyIsAClearError() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> LLAMA2.decode(new int[] {32000}));
        assertTrue(error.getMessage().contains("32000"), error.getMessage());
    }

    @Test
    void aVocabularyWithoutMergesOrWithAnUnknownModelIsRejected() {
        SpecialTokens special = new SpecialTokens(0, 0, -1, -1, false, false, false);
        String[] tokens = {"a", "b"};
        assertThrows(IllegalArgumentException.class, () -> new Vocabulary("gpt2", "default", tokens, null, null, null, special));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> new Vocabulary("bert", "default", tokens, null, null, null, special));
        assertTrue(error.getMessage().contains("bert"), error.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Vocabulary("llama", "default", tokens, new float[3], null, null, special));
    }
}
