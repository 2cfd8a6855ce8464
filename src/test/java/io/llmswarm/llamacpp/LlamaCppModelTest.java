package io.llmswarm.llamacpp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.ModelMaker;
import io.llmswarm.gguf.ModelSpec;
import io.llmswarm.gguf.RopeScaling;
import io.llmswarm.gguf.Vocabulary;
import org.junit.jupiter.api.Assertions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Proves that llama.cpp loads the synthetic models and pins down how it treats prompts and output. */
class LlamaCppModelTest {

    private static final String SPACE = "\u2581";

    @TempDir
    static Path dir;

    static Stream<Arguments> variants() {
        ModelSpec kWide = ModelSpec.tiny(GgmlType.Q4_K);
        return Stream.of(
                Arguments.of("llama-f32", ModelSpec.tiny(GgmlType.F32)),
                Arguments.of("llama-f16", ModelSpec.tiny(GgmlType.F16)),
                Arguments.of("llama-bf16", ModelSpec.tiny(GgmlType.BF16)),
                Arguments.of("llama-q8_0", ModelSpec.tiny(GgmlType.Q8_0)),
                Arguments.of("llama-q4_0", ModelSpec.tiny(GgmlType.Q4_0)),
                Arguments.of("llama-q4_1", ModelSpec.tiny(GgmlType.Q4_1)),
                Arguments.of("llama-q5_0", ModelSpec.tiny(GgmlType.Q5_0)),
                Arguments.of("llama-q4_k", kWide),
                Arguments.of("llama-q5_k", ModelSpec.tiny(GgmlType.Q5_K)),
                Arguments.of("llama-q6_k", ModelSpec.tiny(GgmlType.Q6_K)),
                Arguments.of("llama-mixed-q4_k-q8_0-q6_k",
                        kWide.toBuilder().embeddingType(GgmlType.Q8_0).outputType(GgmlType.Q6_K).build()),
                Arguments.of("qwen2-biases-tied",
                        ModelSpec.tiny(GgmlType.F32).toBuilder().architecture("qwen2").tiedEmbeddings(true).build()),
                Arguments.of("qwen2-q8_0-biases", ModelSpec.tiny(GgmlType.Q8_0).toBuilder().architecture("qwen2").build()),
                Arguments.of("llama-tied-q8_0", ModelSpec.tiny(GgmlType.Q8_0).toBuilder().tiedEmbeddings(true).build()),
                Arguments.of("llama-rope-freqs",
                        ModelSpec.tiny(GgmlType.F32).toBuilder().ropeScaling(RopeScaling.llama31()).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void syntheticModelsLoadAndGenerateSixteenTokens(String name, ModelSpec spec) {
        Path path = dir.resolve(name + ".gguf");
        ModelMaker.write(spec, path);
        LlamaCppModel model = LlamaCppModel.load(path, 2);
        List<String> pieces = new ArrayList<>();
        String sixteen = model.generate("Once upon a time", Sampling.greedy(16, true), pieces::add);
        String four = model.generateGreedy("Once upon a time", 4, true);
        assertFalse(four.isEmpty(), name);
        assertTrue(sixteen.length() > four.length(), name + ": 16 tokens '" + sixteen + "', 4 tokens '" + four + "'");
        assertEquals(String.join("", pieces), sixteen);
        assertEquals(sixteen, model.generateGreedy("Once upon a time", 16, true), "greedy repeats");
    }

    @Test
    void generationAddsBosAndTokenizesThePromptTextAsGiven() {
        ModelSpec withBos = ModelSpec.tiny(GgmlType.F32).toBuilder().outputStd(0.3f).build();
        Vocabulary vocabulary = withBos.vocabularyOrDefault();
        Vocabulary noBosVocabulary = new Vocabulary(vocabulary.model(), vocabulary.pre(), vocabulary.tokens(),
                vocabulary.scores(), vocabulary.tokenTypes(), vocabulary.merges(), vocabulary.bos(), vocabulary.eos(),
                vocabulary.unk(), vocabulary.pad(), false, false, vocabulary.chatTemplate());
        Path bosPath = dir.resolve("bos.gguf");
        Path noBosPath = dir.resolve("nobos.gguf");
        ModelMaker.write(withBos, bosPath);
        ModelMaker.write(withBos.toBuilder().vocabulary(noBosVocabulary).build(), noBosPath);
        LlamaCppModel bos = LlamaCppModel.load(bosPath, 2);
        LlamaCppModel noBos = LlamaCppModel.load(noBosPath, 2);

        // Same weights: "Hello world" with add_bos_token is "<s>Hello world" without it.
        String withAddedBos = bos.generateGreedy("Hello world", 16, true);
        assertEquals(withAddedBos, noBos.generateGreedy("<s>Hello world", 16, true));
        assertNotEquals(withAddedBos, noBos.generateGreedy("Hello world", 16, true));

        // encode adds no BOS, turns "<s>" into the control token, puts ▁ before the text and for each space.
        String[] tokens = vocabulary.tokens();
        assertEquals(List.of(SPACE + "H", "e", "l", "l", "o", SPACE + "w", "o", "r", "l", "d"),
                pieces(tokens, bos.encode("Hello world")));
        assertEquals(List.of(SPACE, SPACE + "H", "e", "l", "l", "o"), pieces(tokens, bos.encode(" Hello")));
        assertEquals(1, bos.encode("<s>Hello")[0]);
        int[] newline = bos.encode("a\nb");
        assertEquals(List.of(SPACE + "a", "<0x0A>", "b"), pieces(tokens, newline));
        assertEquals(" Hello world", bos.decode(bos.encode("Hello world")));
    }

    @Test
    void outputIsTheTokenPiecesWithSpacesForTheWordMarker() {
        ModelSpec spec = ModelSpec.tiny(GgmlType.F32).toBuilder().outputStd(1.0f).seed(3).build();
        Path path = dir.resolve("pieces.gguf");
        ModelMaker.write(spec, path);
        LlamaCppModel model = LlamaCppModel.load(path, 2);
        Set<String> known = Arrays.stream(spec.vocabularyOrDefault().tokens()).collect(Collectors.toSet());
        List<String> pieces = new ArrayList<>();
        String text = model.generate("the cat", Sampling.greedy(32, true), pieces::add);
        assertFalse(text.contains(SPACE), "the word marker is shown as a space: " + pieces);
        assertTrue(pieces.stream().anyMatch(p -> p.startsWith(" ") && known.contains(SPACE + p.substring(1))),
                "some piece is a ▁-piece shown with its leading space: " + pieces);
        assertTrue(pieces.stream().filter(p -> !p.contains("\uFFFD")).allMatch(p -> p.codePointCount(0, p.length()) == 1
                || known.contains(p.replace(' ', '\u2581'))), "other pieces are vocabulary pieces: " + pieces);
    }

    @Test
    void seededSamplingRepeatsAndStreamsPieces() {
        ModelSpec spec = ModelSpec.tiny(GgmlType.Q8_0).toBuilder().seed(9).build();
        Path path = dir.resolve("sampled.gguf");
        ModelMaker.write(spec, path);
        LlamaCppModel model = LlamaCppModel.load(path, 2);
        assertSame(model, LlamaCppModel.load(path, 1), "one native model per file");
        List<String> streamed = new ArrayList<>();
        String first = model.generate("Hello", Sampling.temperature(24, 1.5f, 7), streamed::add);
        String again = model.generate("Hello", Sampling.temperature(24, 1.5f, 7), p -> { });
        String other = model.generate("Hello", Sampling.temperature(24, 1.5f, 8), p -> { });
        assertEquals(first, String.join("", streamed));
        assertTrue(streamed.size() > 1);
        assertEquals(first, again);
        assertNotEquals(first, other);
        assertArrayEquals(model.encode("Hello"), model.encode("Hello"));
    }

    @Test
    void aConsumerThatThrowsEndsTheGenerationAndTheNextRequestRuns() {
        ModelSpec spec = ModelSpec.tiny(GgmlType.Q4_0).toBuilder().seed(11).build();
        Path path = dir.resolve("cancel.gguf");
        ModelMaker.write(spec, path);
        LlamaCppModel model = LlamaCppModel.load(path, 2);
        String whole = model.generateGreedy("Hello", 64, true);
        IllegalStateException stop = new IllegalStateException("client went away");
        IllegalStateException thrown = Assertions.assertThrows(IllegalStateException.class,
                () -> model.generate("Hello", Sampling.greedy(64, true), piece -> {
                    throw stop;
                }));
        assertSame(stop, thrown);
        assertEquals(whole, model.generateGreedy("Hello", 64, true), "the next request runs normally");
    }

    private static List<String> pieces(String[] tokens, int[] ids) {
        return Arrays.stream(ids).mapToObj(id -> tokens[id]).toList();
    }
}
