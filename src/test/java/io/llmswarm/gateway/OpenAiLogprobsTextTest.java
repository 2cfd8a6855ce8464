package io.llmswarm.gateway;

import io.llmswarm.coordinator.GeneratedToken;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.inference.BundledModel;
import io.llmswarm.sampling.TokenLogprob;
import io.llmswarm.tokenizer.ChatTemplate;
import io.llmswarm.tokenizer.Tokenizer;
import io.llmswarm.tokenizer.Vocabulary;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Top log-probability alternatives in the OpenAI API are token text as it prints, as OpenAI clients
 * expect: a SentencePiece word's "▁" is a space, a byte token {@code <0x0A>} is a newline, and a
 * byte that is only part of a character keeps its raw byte in {@code bytes}.
 */
class OpenAiLogprobsTextTest {

    private static Tokenizer tokenizer;
    private static List<String> pieces;
    private static ServedModel model;

    @BeforeAll
    static void readDemoVocabulary() {
        try (GgufFile file = GgufFile.open(BundledModel.path())) {
            tokenizer = Tokenizer.of(file.metadata());
            pieces = Arrays.asList(Vocabulary.fromGguf(file.metadata()).tokens());
            model = new ServedModel("demo", ChatTemplate.forModel(file.metadata(), tokenizer, "demo"));
        }
    }

    private static int id(String piece) {
        int id = pieces.indexOf(piece);
        assertTrue(id >= 0, "the demo vocabulary has " + piece);
        return id;
    }

    /** A generated token whose alternatives are the given raw vocabulary pieces. */
    private static GeneratedToken tokenWithAlternatives(String... alternatives) {
        List<TokenLogprob> top = Arrays.stream(alternatives).map(p -> new TokenLogprob(id(p), -1f)).toList();
        int chosen = top.getFirst().token();
        return new GeneratedToken(1, chosen, tokenizer.decode(new int[]{chosen}), -1f, top);
    }

    private static OpenAiRequest request(boolean chat, JsonObject body) {
        return OpenAiRequest.read(body, chat, model, 256);
    }

    @Test
    void chatAlternativesAreDecodedTextWithTheirRawBytes() {
        GeneratedToken token = tokenWithAlternatives("▁branch", "<0x0A>", "<0xE2>", "</s>");
        OpenAiRequest chat = request(true, new JsonObject().put("messages", new JsonArray()
                .add(new JsonObject().put("role", "user").put("content", "hi")))
                .put("logprobs", true).put("top_logprobs", 4));
        JsonArray top = OpenAiJson.logprobs(chat, List.of(token), tokenizer).getJsonArray("content")
                .getJsonObject(0).getJsonArray("top_logprobs");
        assertEquals(" branch", top.getJsonObject(0).getString("token"), top.encode());
        assertEquals(new JsonArray(List.of(32, 98, 114, 97, 110, 99, 104)), top.getJsonObject(0).getJsonArray("bytes"));
        assertEquals("\n", top.getJsonObject(1).getString("token"), top.encode());
        assertEquals(new JsonArray(List.of(10)), top.getJsonObject(1).getJsonArray("bytes"));
        // Half of "€" (E2 82 AC) is no character: the text shows U+FFFD, the bytes keep the byte itself.
        assertEquals("\uFFFD", top.getJsonObject(2).getString("token"), top.encode());
        assertEquals(new JsonArray(List.of(0xE2)), top.getJsonObject(2).getJsonArray("bytes"));
        assertEquals("</s>", top.getJsonObject(3).getString("token"), top.encode());
    }

    @Test
    void completionAlternativesAreKeyedByDecodedText() {
        GeneratedToken token = tokenWithAlternatives("▁the", "<0x0A>", "ing");
        OpenAiRequest completion = request(false, new JsonObject().put("prompt", "hi").put("logprobs", 3));
        JsonObject top = OpenAiJson.logprobs(completion, List.of(token), tokenizer).getJsonArray("top_logprobs")
                .getJsonObject(0);
        assertEquals(List.of(" the", "\n", "ing"), List.copyOf(top.fieldNames()), top.encode());
        for (String text : top.fieldNames()) {
            assertTrue(!text.contains("▁") && !text.contains("<0x"), "no raw vocabulary piece: " + top.encode());
        }
    }
}
