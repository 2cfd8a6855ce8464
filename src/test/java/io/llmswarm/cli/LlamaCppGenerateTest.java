package io.llmswarm.cli;

import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.ModelMaker;
import io.llmswarm.gguf.ModelSpec;
import io.llmswarm.llamacpp.LlamaCppModel;
import io.llmswarm.llamacpp.Sampling;
import io.llmswarm.sampling.SamplingConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@code generate --backend llamacpp} (or {@code llama.cpp}): the generate command's job through llama.cpp. */
class LlamaCppGenerateTest {

    @TempDir
    static Path dir;

    private static GenerateCommand parse(String... args) {
        GenerateCommand command = new GenerateCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void bothSpellingsChooseLlamaCppAndAnUnknownBackendIsNamed() {
        assertEquals(GenerateCommand.Backend.llamacpp, parse("--prompt", "x", "--backend", "llamacpp").backend);
        assertEquals(GenerateCommand.Backend.llamacpp, parse("--prompt", "x", "--backend", "llama.cpp").backend);
        assertEquals(GenerateCommand.Backend.java, parse("--prompt", "x").backend);
        CommandLine.ParameterException wrong = assertThrows(CommandLine.ParameterException.class,
                () -> parse("--prompt", "x", "--backend", "onnx"));
        assertEquals(true, wrong.getMessage().contains("onnx"), wrong.getMessage());
    }

    @Test
    void generateThroughLlamaCppPassesEverySamplingSetting() {
        Path model = dir.resolve("generate.gguf");
        ModelMaker.write(ModelSpec.tiny(GgmlType.Q8_0).toBuilder().outputStd(0.5f).build(), model);
        GenerateCommand greedy = parse("--model", model.toString(), "--prompt", "Once upon a time", "--max-tokens", "48",
                "--temperature", "0", "--ignore-eos", "--threads", "1", "--backend", "llamacpp");
        GenerateCommand.GenerationReport report = LlamaCppGenerate.run(greedy.generation, null);
        assertEquals(48, report.generatedCount());
        assertEquals("length", report.finishReason());
        assertEquals(LlamaCppModel.load(model, 1).generate("Once upon a time", Sampling.greedy(48, true), p -> { }),
                report.text());
        // The penalty reaches llama.cpp: the same greedy request with a strong penalty gives other text.
        GenerateCommand penalised = parse("--model", model.toString(), "--prompt", "Once upon a time", "--max-tokens", "48",
                "--temperature", "0", "--ignore-eos", "--repeat-penalty", "5", "--repeat-last-n", "64", "--backend", "llamacpp");
        String expected = LlamaCppModel.load(model, 1).generate("Once upon a time",
                Sampling.of(SamplingConfig.greedy().withRepetitionPenalty(5f, 64), 48, true), p -> { });
        String actual = LlamaCppGenerate.run(penalised.generation, null).text();
        assertEquals(expected, actual);
        assertNotEquals(report.text(), actual, "a repeat penalty of 5 changed nothing");
    }
}
