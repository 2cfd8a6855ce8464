package io.llmswarm.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmark's pure parts; the benchmark itself is a command, not a test. */
class BenchPartsTest {

    @Test
    void aGenerationResultSurvivesItsJsonLineAndIgnoresExtraFields() {
        GenerationResult result = new GenerationResult(new int[] {1, 5, 9}, new int[] {7, 8}, "héllo \"x\"",
                12.5, 240.0, 21.25, 1024.5);
        String json = result.toJson();
        assertTrue(json.contains("\"time_to_first_token_ms\":12.5"), json);
        assertTrue(json.contains("\"peak_rss_mib\":1024.5"), json);
        GenerationResult read = GenerationResult.fromJson(json.replace("{", "{\"extra\":true,"), "test");
        assertArrayEquals(result.promptTokens(), read.promptTokens());
        assertArrayEquals(result.tokens(), read.tokens());
        assertEquals(result.text(), read.text());
        assertEquals(21.25, read.decodeTokensPerSecond());
    }

    @Test
    void aLineThatIsNoGenerationIsRejectedNamingItsSource() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> GenerationResult.fromJson("{\"text\":\"x\"}", "child.out"));
        assertTrue(error.getMessage().startsWith("child.out"), error.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GenerationResult.fromJson("not json", "child.out"));
    }

    @Test
    void thePromptBuilderHitsTheExactTokenCount() {
        // A tokenizer that adds BOS, makes one token per word and one per punctuation mark.
        java.util.function.ToIntFunction<String> count = text ->
                1 + (int) text.chars().filter(c -> c == ' ' || c == ',' || c == '.').count() + (text.isEmpty() || text.startsWith(" ") ? 0 : 1);
        for (int tokens : new int[] {2, 5, 64}) {
            assertEquals(tokens, count.applyAsInt(PromptBuilder.ofTokens(tokens, count)));
        }
    }

    @Test
    void aTokenizerThatCannotReachTheCountIsAnError() {
        // Every piece costs two tokens: an odd count cannot be reached.
        java.util.function.ToIntFunction<String> count = text -> 1 + 2 * text.length();
        assertThrows(IllegalStateException.class, () -> PromptBuilder.ofTokens(4, count));
    }

    @Test
    void peakMemoryReadsTheKibibytesOfAStatusLine(@TempDir Path folder) throws IOException {
        Path status = folder.resolve("status");
        Files.writeString(status, "Name:\tjava\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n");
        assertEquals(204800, PeakMemory.readKib(status, "VmHWM:"));
        assertEquals(102400, PeakMemory.readKib(status, "VmRSS:"));
        assertEquals(-1, PeakMemory.readKib(folder.resolve("missing"), "VmHWM:"));
        assertThrows(IllegalStateException.class, () -> PeakMemory.readKib(status, "VmSwap:"));
        double current = PeakMemory.residentMib();
        assertTrue(current > 0, "this JVM's resident memory: " + current);
        assertTrue(PeakMemory.peakResidentMib() >= current);
    }

    @Test
    void bothBackendsRunThroughTheGenerateCommand() {
        GenerationRequest request = new GenerationRequest(Path.of("/m.gguf"), "a b", 64, 2);
        assertEquals(List.of("io.llmswarm.cli.Main", "generate", "--backend", "java"),
                Backend.JAVA.childArguments(request).subList(0, 4));
        assertEquals(List.of("io.llmswarm.cli.Main", "generate", "--backend", "llama.cpp"),
                Backend.LLAMA_CPP.childArguments(request).subList(0, 4));
        assertEquals(Backend.LLAMA_CPP, Backend.byLabel("llama.cpp"));
    }

    @Test
    void theTableComparesEachBackendWithLlamaCppAndTheMemoryBound() {
        ModelWeights weights = new ModelWeights(2_000_000_000L, 1_000_000_000L);
        GenerationResult llama = new GenerationResult(new int[5], new int[0], "abcdef", 300, 60, 20, 1300);
        GenerationResult java = new GenerationResult(new int[5], new int[64], "abcxyz", 250, 80, 25, 1200);
        List<BenchRow> rows = List.of(
                new BenchRow(io.llmswarm.gguf.GgmlType.Q8_0, Backend.JAVA, weights, java, java, null),
                new BenchRow(io.llmswarm.gguf.GgmlType.Q8_0, Backend.LLAMA_CPP, weights, llama, llama, null),
                new BenchRow(io.llmswarm.gguf.GgmlType.Q4_0, Backend.JAVA, weights, null, null, "exit 2"));
        String table = BenchTable.markdown(rows, 40.0, 5, 64);
        assertTrue(table.contains("| Q8_0 | java | 1.000 | 80.0 | 25.0 | 250 | 1200 | 40.0 | 1.25× | first 3/6 chars, first 3/6 chars |"), table);
        assertTrue(table.contains("| Q8_0 | llama.cpp | 1.000 | 60.0 | 20.0 | 300 | 1300 | 40.0 | 1.00× | – |"), table);
        assertTrue(table.contains("| Q4_0 | java | 1.000 | failed (see below) |"), table);
        assertTrue(table.contains("Q4_0 on java failed: exit 2"), table);
    }

    @Test
    void vectorSumsReadEveryFloat() {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var segment = arena.allocate(1 << 16, 64);
            for (long i = 0; i < segment.byteSize() / 4; i++) {
                segment.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, 1f);
            }
            assertEquals(segment.byteSize() / 4, MemoryBandwidth.sum(segment), 0f);
        }
    }
}
