package io.llmswarm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.gguf.ModelSpec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MakeModelCommandTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine line = new CommandLine(new MakeModelCommand());
        line.setOut(new PrintWriter(out));
        line.setErr(new PrintWriter(err));
        return line.execute(args);
    }

    @Test
    void writesTheRequestedShape() {
        Path path = dir.resolve("m.gguf");
        assertEquals(0, run("--out", path.toString(), "--type", "Q4_0", "--layers", "3", "--dim", "96", "--ffn", "160",
                "--heads", "6", "--kv-heads", "2", "--vocab", "300", "--seed", "5"));
        try (GgufFile file = GgufFile.open(path)) {
            assertEquals(3, file.metadata().getInt("llama.block_count"));
            assertEquals(96, file.metadata().getInt("llama.embedding_length"));
            assertEquals(6, file.metadata().getInt("llama.attention.head_count"));
            assertEquals(GgmlType.Q4_0, file.tensor("blk.2.ffn_down.weight").type());
            assertArrayEquals(new long[] {160, 96}, file.tensor("blk.2.ffn_down.weight").shape());
            assertArrayEquals(new long[] {96, 300}, file.tensor("output.weight").shape());
            assertTrue(out.toString().contains(file.fingerprint()), out.toString());
        }
    }

    @Test
    void tinyLlamaPresetHasTinyLlamasShape() {
        MakeModelCommand command = new MakeModelCommand();
        new CommandLine(command).parseArgs("--out", "x.gguf", "--preset", "tinyllama", "--type", "Q4_0");
        ModelSpec spec = command.buildSpec();
        assertEquals(22, spec.blockCount());
        assertEquals(2048, spec.embeddingLength());
        assertEquals(5632, spec.feedForwardLength());
        assertEquals(32, spec.headCount());
        assertEquals(4, spec.headCountKv());
        assertEquals(32000, spec.vocabSize());
        assertEquals(2048, spec.contextLength());
    }

    @Test
    void impossibleShapesAndUnknownTypesAreUsageErrors() {
        Path path = dir.resolve("bad.gguf");
        assertEquals(2, run("--out", path.toString(), "--type", "Q4_K", "--dim", "64"));
        assertTrue(err.toString().contains("256"), err.toString());
        assertEquals(2, run("--out", path.toString(), "--type", "Q9_9"));
        assertTrue(err.toString().contains("Q9_9"), err.toString());
        assertTrue(Files.notExists(path));
    }
}
