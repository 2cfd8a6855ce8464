package io.llmswarm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.ModelMaker;
import io.llmswarm.gguf.ModelSpec;
import io.llmswarm.inference.GenerationRequest;
import io.llmswarm.inference.GenerationResult;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.engine.ShardEngine;
import io.llmswarm.sampling.SamplingConfig;
import io.llmswarm.tokenizer.StreamingDecoder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Drives {@code java -jar target/node.jar} exactly as a user types it. */
class NodeJarIT {

    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void makeModel() {
        model = dir.resolve("tiny.gguf");
        ModelMaker.write(ModelSpec.tiny(GgmlType.Q8_0).toBuilder().outputStd(0.5f).build(), model);
    }

    record Run(int exitCode, String out, String err) {
    }

    static Run node(List<String> jvmOptions, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(System.getProperty("node.jar", "target/node.jar"));
        command.addAll(Arrays.asList(args));
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("node.jar did not finish in 120 s: " + command);
        }
        return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void generateAsTypedRelaunchesWithTheVectorModuleAndMatchesTheEngine() throws Exception {
        Run run = node(List.of(), "generate", "--model", model.toString(), "--prompt", "Once upon a time",
                "--max-tokens", "12", "--temperature", "0", "--ignore-eos", "--json", "--threads", "2");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode json = new ObjectMapper().readTree(run.out().lines().reduce((a, b) -> b).orElseThrow());
        int[] tokens = ints(json.get("tokens"));
        assertEquals(12, tokens.length);
        assertTrue(json.get("decode_tokens_per_second").asDouble() > 0);
        assertTrue(json.get("time_to_first_token_ms").asDouble() > 0);
        assertTrue(json.get("peak_rss_mib").asDouble() > 0);
        try (LocalModel local = LocalModel.load(model, new ShardEngine.Options(2, 16, 16L << 20), l -> { })) {
            int[] prompt = local.tokenizer().encode("Once upon a time", true, false);
            assertArrayEquals(prompt, ints(json.get("prompt_tokens")));
            GenerationResult expected = local.generator().generate("it",
                    new GenerationRequest(prompt, 12, SamplingConfig.greedy(), true), t -> true);
            assertArrayEquals(expected.tokens(), tokens);
            // The text as every front end and llama.cpp give it: each piece, the first one's space included.
            StreamingDecoder decoder = local.tokenizer().streamingDecoder();
            StringBuilder text = new StringBuilder();
            for (int token : tokens) {
                text.append(decoder.accept(token));
            }
            assertEquals(text.append(decoder.flush()).toString(), json.get("text").asText());
        }
    }

    @Test
    void withoutAModelTheShippedDemoModelAnswersTheDocumentsQuestion() throws Exception {
        Run run = node(List.of(), "generate", "--prompt", "What is artificial intelligence?", "--temperature", "0",
                "--max-tokens", "40");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("computer"), run.out());
        assertTrue(run.err().contains("loading demo-wordnet-q8_0.gguf"), run.err());
    }

    @Test
    void explicitModuleFlagsWorkToo() throws Exception {
        Run run = node(List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"),
                "tokenize", "--model", model.toString(), "--text", "Hello world");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().strip().matches("\\[1(,\\d+)+]"), run.out());
    }

    @Test
    void aMissingModelIsOneClearLineAndAFailingExit() throws Exception {
        Run run = node(List.of(), "generate", "--model", dir.resolve("nope.gguf").toString(), "--prompt", "x");
        assertEquals(1, run.exitCode());
        assertTrue(run.err().contains("error:") && run.err().contains("nope.gguf"), run.err());
        assertFalse(run.err().contains("\tat "), "no stack trace: " + run.err());
    }

    @Test
    void aFileThatIsNotGgufIsRejectedByName() throws Exception {
        Path bogus = dir.resolve("bogus.gguf");
        Files.writeString(bogus, "definitely not a model");
        Run run = node(List.of(), "tokenize", "--model", bogus.toString(), "--text", "hi");
        assertEquals(1, run.exitCode());
        assertTrue(run.err().contains("bogus.gguf"), run.err());
    }

    private static int[] ints(JsonNode array) {
        int[] values = new int[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).asInt();
        }
        return values;
    }
}
