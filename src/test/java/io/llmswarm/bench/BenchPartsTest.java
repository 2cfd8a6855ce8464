package io.llmswarm.bench;

import io.llmswarm.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

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
        ToIntFunction<String> count = text ->
                1 + (int) text.chars().filter(c -> c == ' ' || c == ',' || c == '.').count() + (text.isEmpty() || text.startsWith(" ") ? 0 : 1);
        for (int tokens : new int[] {2, 5, 64}) {
            assertEquals(tokens, count.applyAsInt(PromptBuilder.ofTokens(tokens, count)));
        }
    }

    @Test
    void aTokenizerThatCannotReachTheCountIsAnError() {
        // Every piece costs two tokens: an odd count cannot be reached.
        ToIntFunction<String> count = text -> 1 + 2 * text.length();
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
    void jvmBackendsRunTheGenerateCommandAndTheCurrentLlamaCppRunsTheNodeScriptWithTheSameOptions(@TempDir Path logs) {
        GenerationRequest request = new GenerationRequest(Path.of("/m.gguf"), "a b", 64, 2);
        ChildProcess child = new ChildProcess(logs, 60, Path.of("bench/llama-current"));
        List<String> requestOptions = request.generateArguments();

        List<String> java = child.command(Contender.of(Backend.JAVA), request);
        int classPath = java.indexOf("-cp");
        assertEquals(List.of("io.llmswarm.cli.Main", "generate", "--backend", "java"),
                java.subList(classPath + 2, classPath + 6));
        assertEquals(requestOptions, java.subList(classPath + 6, java.size()));
        assertEquals(List.of("io.llmswarm.cli.Main", "generate", "--backend", "llama.cpp"),
                child.command(Contender.of(Backend.LLAMA_CPP), request).subList(classPath + 2, classPath + 6));

        List<String> current = child.command(Contender.of(Backend.LLAMA_CPP_CURRENT), request);
        assertEquals("node", current.get(0));
        assertEquals(Path.of("bench/llama-current/generate.mjs").toAbsolutePath().toString(), current.get(1));
        assertEquals(requestOptions, current.subList(2, current.size()));
        assertTrue(requestOptions.containsAll(List.of("--temperature", "0", "--ignore-eos", "--json")), requestOptions.toString());
        assertEquals("true", ChildProcess.NODE_ENVIRONMENT.get("NODE_LLAMA_CPP_SKIP_DOWNLOAD"));

        assertEquals(Backend.LLAMA_CPP, Backend.byLabel("llama.cpp"));
        assertEquals(Backend.LLAMA_CPP_CURRENT, Backend.byLabel(" LLAMA.CPP-current"));
        assertThrows(IllegalArgumentException.class, () -> Backend.byLabel("llama"));
    }

    @Test
    void aJavaVariantsOptionsComeAfterTheParentsSoThatTheyWin(@TempDir Path logs) {
        GenerationRequest request = new GenerationRequest(Path.of("/m.gguf"), "a b", 64, 2);
        Contender avx2 = new Contender(Backend.JAVA, "avx2", List.of("-XX:UseAVX=2", "-Xss2m"));
        List<String> command = new ChildProcess(logs, 60, Path.of("x")).command(avx2, request);
        List<String> parent = ManagementFactory.getRuntimeMXBean().getInputArguments();
        assertEquals(parent, command.subList(1, 1 + parent.size()));
        assertEquals(List.of("-XX:UseAVX=2", "-Xss2m", "-cp"), command.subList(1 + parent.size(), 4 + parent.size()));
        assertThrows(IllegalArgumentException.class,
                () -> new Contender(Backend.LLAMA_CPP_CURRENT, "x", List.of("-Xmx1g")), "node takes no JVM options");
    }

    @Test
    void javaVariantsAreLabelledListsOfJvmOptions() {
        List<Contender> variants = Contender.javaVariants(
                "default=;avx2=-XX:UseAVX=2; 128bit = -XX:MaxVectorSize=16  -XX:+UseParallelGC ;");
        assertEquals(List.of(new Contender(Backend.JAVA, "default", List.of()),
                new Contender(Backend.JAVA, "avx2", List.of("-XX:UseAVX=2")),
                new Contender(Backend.JAVA, "128bit", List.of("-XX:MaxVectorSize=16", "-XX:+UseParallelGC"))), variants);
        assertEquals("java default", variants.get(0).label());
        assertEquals("java avx2 (-XX:UseAVX=2)", variants.get(1).label());
        assertEquals("java-128bit", variants.get(2).fileLabel());
        assertEquals("java", Contender.of(Backend.JAVA).label());

        for (String wrong : List.of("", ";", "avx2", "=-XX:UseAVX=2", "a=-Xmx1g;a=", "a=Xmx1g", "a b=-Xmx1g")) {
            assertThrows(IllegalArgumentException.class, () -> Contender.javaVariants(wrong), wrong);
        }
    }

    @Test
    void theNativeDriverRunsTheCompiledProgramWithTheSameOptionsOnTheLibrariesFolder(@TempDir Path logs) {
        GenerationRequest request = new GenerationRequest(Path.of("/m.gguf"), "a b", 64, 2);
        ChildProcess.Native driver = new ChildProcess.Native(Path.of("/opt/lc/generate"), Path.of("/opt/lc/libs"));
        ChildProcess child = new ChildProcess(logs, 60, Path.of("bench/llama-current"), driver);
        Contender nativeDriver = Contender.llamaCurrent(LlamaCurrentDriver.NATIVE, false);
        assertEquals(Backend.Process.NATIVE, nativeDriver.process());

        List<String> command = child.command(nativeDriver, request);
        assertEquals("/opt/lc/generate", command.get(0));
        assertEquals(request.generateArguments(), command.subList(1, command.size()));
        assertEquals(Map.of("LD_LIBRARY_PATH", "/opt/lc/libs"), child.environment(nativeDriver, null));
        assertEquals(Map.of("LD_LIBRARY_PATH", "/opt/lc/libs:/usr/local/lib"),
                child.environment(nativeDriver, "/usr/local/lib"));
        // node keeps its script and switches, whatever the native driver is
        Contender node = Contender.llamaCurrent(LlamaCurrentDriver.NODE, false);
        assertEquals(Contender.of(Backend.LLAMA_CPP_CURRENT), node);
        assertEquals("node", child.command(node, request).get(0));
        assertEquals(ChildProcess.NODE_ENVIRONMENT, child.environment(node, "/usr/local/lib"));
        assertEquals(Map.of(), child.environment(Contender.of(Backend.JAVA), "/usr/local/lib"));
    }

    @Test
    void theNativeDriversLibrariesAreItsOwnFolderWhenPackedElseTheNpmPackages(@TempDir Path folder) throws IOException {
        Path npmPackage = Path.of("bench/llama-current");
        ChildProcess.Native built = ChildProcess.Native.of(npmPackage, null, null);
        assertEquals(npmPackage.resolve("native/bin/generate"), built.executable());
        assertEquals(npmPackage.resolve("node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"), built.libraries());

        Path packed = Files.createDirectories(folder.resolve("llama-current"));
        Files.writeString(packed.resolve("generate"), "");
        assertEquals(npmPackage.resolve(ChildProcess.NPM_LIBRARIES),
                ChildProcess.Native.of(npmPackage, packed.resolve("generate"), null).libraries(), "no libllama beside it yet");
        Files.writeString(packed.resolve("libllama.v0.5.0.so"), "");
        assertEquals(packed.toAbsolutePath(), ChildProcess.Native.of(npmPackage, packed.resolve("generate"), null).libraries());
        assertEquals(Path.of("/elsewhere"),
                ChildProcess.Native.of(npmPackage, packed.resolve("generate"), Path.of("/elsewhere")).libraries());
    }

    @Test
    void theDriverIsNodeWhereNodeIsOnThePathElseNativeOrBothAsRowsOfTheirOwn(@TempDir Path folder) throws IOException {
        assertEquals(List.of(LlamaCurrentDriver.NODE), LlamaCurrentDriver.resolve(List.of("auto"), true));
        assertEquals(List.of(LlamaCurrentDriver.NATIVE), LlamaCurrentDriver.resolve(List.of("auto"), false));
        assertEquals(List.of(LlamaCurrentDriver.NODE, LlamaCurrentDriver.NATIVE),
                LlamaCurrentDriver.resolve(List.of("node", " NATIVE", "auto"), true));
        for (List<String> wrong : List.of(List.<String>of(), List.of("python"))) {
            assertThrows(IllegalArgumentException.class, () -> LlamaCurrentDriver.resolve(wrong, true), wrong.toString());
        }

        Path bin = Files.createDirectories(folder.resolve("bin"));
        Path node = Files.writeString(bin.resolve("node"), "#!/bin/sh\n");
        assertTrue(!LlamaCurrentDriver.onPath("node", "/nonexistent" + File.pathSeparator + bin), "not executable");
        assertTrue(node.toFile().setExecutable(true));
        assertTrue(LlamaCurrentDriver.onPath("node", "/nonexistent" + File.pathSeparator + bin));
        assertTrue(!LlamaCurrentDriver.onPath("node", null));
        assertTrue(!LlamaCurrentDriver.onPath("node", ""));

        List<Contender> both = BenchCommand.contenders(List.of(Backend.JAVA, Backend.LLAMA_CPP_CURRENT), null,
                List.of(LlamaCurrentDriver.NODE, LlamaCurrentDriver.NATIVE));
        assertEquals(List.of("java", "llama.cpp-current node", "llama.cpp-current native"),
                both.stream().map(Contender::label).toList());
        assertEquals("llama.cpp-current-native", both.get(2).fileLabel());
        assertEquals(Backend.Process.NATIVE, both.get(2).process());
        assertEquals("llama.cpp-current", BenchCommand.contenders(List.of(Backend.LLAMA_CPP_CURRENT), null,
                List.of(LlamaCurrentDriver.NATIVE)).getFirst().label(), "one driver: the row keeps the backend's name");
        assertThrows(IllegalArgumentException.class,
                () -> new Contender(Backend.JAVA, "", List.of(), LlamaCurrentDriver.NATIVE), "only llama.cpp-current has a driver");
    }

    @Test
    void javaVariantsReplaceTheJavaRowAndNeedIt() {
        List<Contender> variants = Contender.javaVariants("a=;b=-XX:UseAVX=2");
        assertEquals(List.of(Contender.of(Backend.LLAMA_CPP), variants.get(0), variants.get(1),
                        Contender.of(Backend.LLAMA_CPP_CURRENT)),
                BenchCommand.contenders(List.of(Backend.LLAMA_CPP, Backend.JAVA, Backend.LLAMA_CPP_CURRENT), variants,
                        List.of(LlamaCurrentDriver.NODE)));
        assertEquals(List.of(Contender.of(Backend.JAVA), Contender.of(Backend.LLAMA_CPP)),
                BenchCommand.contenders(List.of(Backend.JAVA, Backend.LLAMA_CPP, Backend.JAVA), null,
                        List.of(LlamaCurrentDriver.NODE)));
        assertThrows(IllegalArgumentException.class, () -> BenchCommand.contenders(List.of(Backend.LLAMA_CPP), variants,
                List.of(LlamaCurrentDriver.NODE)));
    }

    @Test
    void theBenchCommandReadsTheNewOptions() {
        BenchCommand command = new BenchCommand();
        new picocli.CommandLine(command).parseArgs("--java-variants", "default=;avx2=-XX:UseAVX=2");
        assertEquals(List.of(Backend.JAVA, Backend.LLAMA_CPP, Backend.LLAMA_CPP_CURRENT), command.backends);
        assertEquals("default=;avx2=-XX:UseAVX=2", command.javaVariants);
        assertEquals(Path.of("bench/llama-current"), command.llamaCurrentDirectory);
        assertEquals(List.of("auto"), command.llamaCurrentDrivers);
        assertEquals(null, command.llamaCurrentNative);

        BenchCommand onDevice = new BenchCommand();
        new picocli.CommandLine(onDevice).parseArgs("--llama-current-driver", "node,native",
                "--llama-current-native", "/tmp/llama-current/generate", "--llama-current-libs", "/tmp/llama-current");
        assertEquals(List.of("node", "native"), onDevice.llamaCurrentDrivers);
        assertEquals(Path.of("/tmp/llama-current/generate"), onDevice.llamaCurrentNative);
        assertEquals(Path.of("/tmp/llama-current"), onDevice.llamaCurrentLibraries);
    }

    @Test
    void bothDriversRowsAreComparedWithEachOtherAndTheJavaEngineWithBoth() {
        ModelWeights weights = new ModelWeights(2_000_000_000L, 1_000_000_000L);
        int[] prompt = {1, 377, 273, 262, 264};
        GenerationResult node = new GenerationResult(prompt, new int[] {5, 6, 7}, "abcdef", 100, 100, 40, 1100,
                "node-llama-cpp 3.22.1, llama.cpp v0.5.0 (prebuilt 3.22.1), CPU backend libggml-cpu-zen4.so");
        GenerationResult nativeRun = new GenerationResult(prompt, new int[] {5, 6, 7}, "abcdef", 80, 125, 50, 1000,
                "native generate.c, llama.cpp v0.5.0 (prebuilt @node-llama-cpp/linux-x64 3.22.1), CPU backend libggml-cpu-zen4.so");
        GenerationResult other = new GenerationResult(prompt, new int[] {5, 6, 8}, "abcdxy", 80, 125, 50, 1000);
        GenerationResult java = new GenerationResult(prompt, new int[] {5, 6, 7}, "abcdef", 200, 50, 20, 1200);
        var q8 = GgmlType.Q8_0;
        var q4 = GgmlType.Q4_0;
        Contender viaNode = Contender.llamaCurrent(LlamaCurrentDriver.NODE, true);
        Contender viaNative = Contender.llamaCurrent(LlamaCurrentDriver.NATIVE, true);
        String table = BenchTable.markdown(List.of(
                new BenchRow(q8, Contender.of(Backend.JAVA), weights, java, java, null),
                new BenchRow(q8, viaNode, weights, node, node, null),
                new BenchRow(q8, viaNative, weights, nativeRun, nativeRun, null),
                new BenchRow(q4, viaNode, weights, node, node, null),
                new BenchRow(q4, viaNative, weights, other, other, null)), 50.0, 5, 64);
        assertTrue(table.contains("| Q8_0 | llama.cpp-current native | 1.000 | 125.0 | 50.0 | 80 | 1000 | 50.0 | 100% | 50.0 | yes, yes |"), table);
        assertTrue(table.contains("| Q8_0 | java | llama.cpp-current node | 0.50× | 0.50× | 2.00× | 1.09× |"), table);
        assertTrue(table.contains("| Q8_0 | java | llama.cpp-current native | 0.40× | 0.40× | 2.50× | 1.20× |"), table);
        assertTrue(table.contains("llama.cpp-current native: native generate.c, llama.cpp v0.5.0"), table);
        assertTrue(table.contains("Q8_0: llama.cpp-current native against llama.cpp-current node: the same prompt token ids, "
                + "the same generated token ids (both prompts)"), table);
        assertTrue(table.contains("Q4_0: llama.cpp-current native against llama.cpp-current node: the same prompt token ids, "
                + "other generated token ids (both prompts)"), table);
    }

    @Test
    void theTableComparesEachBackendWithLlamaCppAndTheMemoryBound() {
        ModelWeights weights = new ModelWeights(2_000_000_000L, 1_000_000_000L);
        GenerationResult llama = new GenerationResult(new int[5], new int[0], "abcdef", 300, 60, 20, 1300);
        GenerationResult java = new GenerationResult(new int[5], new int[64], "abcxyz", 250, 80, 25, 1200);
        List<BenchRow> rows = List.of(
                new BenchRow(GgmlType.Q8_0, Contender.of(Backend.JAVA), weights, java, java, null),
                new BenchRow(GgmlType.Q8_0, Contender.of(Backend.LLAMA_CPP), weights, llama, llama, null),
                new BenchRow(GgmlType.Q4_0, Contender.of(Backend.JAVA), weights, null, null, "exit 2"));
        String table = BenchTable.markdown(rows, 40.0, 5, 64);
        assertTrue(table.contains("| Q8_0 | java | 1.000 | 80.0 | 25.0 | 250 | 1200 | 25.0 | 63% | 40.0 | first 3/6 chars, first 3/6 chars |"), table);
        assertTrue(table.contains("| Q8_0 | llama.cpp | 1.000 | 60.0 | 20.0 | 300 | 1300 | 20.0 | 50% | 40.0 | – |"), table);
        assertTrue(table.contains("| Q4_0 | java | 1.000 | failed (see below) | | | | | | | |\n"), table);
        assertTrue(table.contains("| Q8_0 | java | llama.cpp | 1.25× | 1.33× | 0.83× | 0.92× |"), table);
        assertTrue(table.contains("Q4_0 on java failed: exit 2"), table);
        assertEquals(table.lines().filter(line -> line.startsWith("|---")).count(), 2, table);
    }

    @Test
    void theTableShowsJavaVariantsBesideBothLlamaCppBuilds() {
        ModelWeights weights = new ModelWeights(2_000_000_000L, 1_000_000_000L);
        int[] prompt = {1, 377, 273, 262, 264};
        GenerationResult b4916 = new GenerationResult(prompt, new int[0], "abcdef", 200, 50, 20, 1300);
        GenerationResult current = new GenerationResult(prompt, new int[64], "abcdxy", 100, 100, 40, 1100,
                "node-llama-cpp 3.22.1, llama.cpp v0.5.0, CPU backend libggml-cpu-zen4.so");
        GenerationResult wide = new GenerationResult(prompt, new int[64], "abcdef", 250, 40, 30, 1200);
        GenerationResult narrow = new GenerationResult(new int[] {1, 2}, new int[64], "abzzzz", 400, 25, 10, 1000);
        List<Contender> variants = Contender.javaVariants("default=;128bit=-XX:MaxVectorSize=16");
        var q8 = GgmlType.Q8_0;
        List<BenchRow> rows = List.of(
                new BenchRow(q8, variants.get(0), weights, wide, wide, null),
                new BenchRow(q8, variants.get(1), weights, narrow, narrow, null),
                new BenchRow(q8, Contender.of(Backend.LLAMA_CPP), weights, b4916, b4916, null),
                new BenchRow(q8, Contender.of(Backend.LLAMA_CPP_CURRENT), weights, current, current, null));
        String table = BenchTable.markdown(rows, 50.0, 5, 64);
        assertTrue(table.contains("same text as llama.cpp (short, long prompt) |"), table);
        assertTrue(table.contains("| Q8_0 | java default | 1.000 | 40.0 | 30.0 | 250 | 1200 | 30.0 | 60% | 50.0 | yes, yes |"), table);
        assertTrue(table.contains("| Q8_0 | java 128bit (-XX:MaxVectorSize=16) | 1.000 | 25.0 | 10.0 | 400 | 1000 | 10.0 | 20% | 50.0 |"), table);
        assertTrue(table.contains("| Q8_0 | llama.cpp | 1.000 | 50.0 | 20.0 | 200 | 1300 | 20.0 | 40% | 50.0 | – |"), table);
        assertTrue(table.contains("| Q8_0 | llama.cpp-current | 1.000 | 100.0 | 40.0 | 100 | 1100 | 40.0 | 80% | 50.0 | first 4/6 chars, first 4/6 chars |"), table);
        // each Java row over each llama.cpp build
        assertTrue(table.contains("| Q8_0 | java default | llama.cpp | 1.50× | 0.80× | 1.25× | 0.92× |"), table);
        assertTrue(table.contains("| Q8_0 | java default | llama.cpp-current | 0.75× | 0.40× | 2.50× | 1.09× |"), table);
        assertTrue(table.contains("| Q8_0 | java 128bit (-XX:MaxVectorSize=16) | llama.cpp-current | 0.25× | 0.25× | 4.00× | 0.91× |"), table);
        assertTrue(table.contains("llama.cpp-current: node-llama-cpp 3.22.1, llama.cpp v0.5.0, CPU backend libggml-cpu-zen4.so"), table);
        assertTrue(table.contains("Q8_0: java 128bit (-XX:MaxVectorSize=16) saw other prompt token ids than java default"), table);
        assertTrue(!table.contains("llama.cpp-current saw other"), table);
    }

    @Test
    void withoutLlamaCppB4916TheTextIsComparedWithTheCurrentBuild() {
        ModelWeights weights = new ModelWeights(2_000_000_000L, 1_000_000_000L);
        GenerationResult current = new GenerationResult(new int[5], new int[64], "abcdef", 100, 100, 40, 1100);
        GenerationResult java = new GenerationResult(new int[5], new int[64], "abcdef", 250, 40, 30, 1200);
        var q8 = GgmlType.Q8_0;
        String table = BenchTable.markdown(List.of(
                new BenchRow(q8, Contender.of(Backend.JAVA), weights, java, java, null),
                new BenchRow(q8, Contender.of(Backend.LLAMA_CPP_CURRENT), weights, current, current, null)), 50.0, 5, 64);
        assertTrue(table.contains("same text as llama.cpp-current (short, long prompt) |"), table);
        assertTrue(table.contains("| Q8_0 | java | 1.000 | 40.0 | 30.0 | 250 | 1200 | 30.0 | 60% | 50.0 | yes, yes |"), table);
        assertTrue(table.contains("| Q8_0 | java | llama.cpp-current | 0.75× |"), table);
        assertTrue(!table.contains("| Q8_0 | java | llama.cpp |"), table);
    }

    @Test
    void vectorSumsReadEveryFloat() {
        try (var arena = Arena.ofConfined()) {
            var segment = arena.allocate(1 << 16, 64);
            for (long i = 0; i < segment.byteSize() / 4; i++) {
                segment.setAtIndex(ValueLayout.JAVA_FLOAT, i, 1f);
            }
            assertEquals(segment.byteSize() / 4, MemoryBandwidth.sum(segment), 0f);
        }
    }
}
