package io.llmswarm.demo;

import io.llmswarm.engine.ShardEngine;
import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.gguf.Quantizer;
import io.llmswarm.gguf.TensorInfo;
import io.llmswarm.inference.GenerationRequest;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.llamacpp.LlamaCppModel;
import io.llmswarm.sampling.SamplingConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The shipped Q8_0 model written again as F32 (its weights dequantized) by the same exporter: the
 * engine and llama.cpp load the F32 file too and give the same greedy answer as on the Q8_0 file.
 */
class F32CopyTest {

    @Test
    void f32CopyAnswersAsTheQ80File(@TempDir Path dir) throws IOException {
        Path f32 = dir.resolve("demo-wordnet-f32.gguf");
        try (GgufFile q8 = GgufFile.open(DemoModel.path())) {
            ExportGguf.write(ExportGguf.manifestOf(q8), tensor -> dequantized(q8, q8.tensor(tensor.name())), GgmlType.F32, f32);
        }
        String question = DemoQuestionTest.QUESTION;
        String llamaCpp = LlamaCppModel.load(f32, 2).generateGreedy(DemoFormat.prompt(question),
                DemoModel.MAX_ANSWER_TOKENS, false);
        String engine;
        try (LocalModel model = LocalModel.load(f32, new ShardEngine.Options(2, 64, 16L << 20), layers -> { })) {
            int[] prompt = model.tokenizer().encode(DemoFormat.prompt(question), true, true);
            int[] tokens = model.generator().generate("f32", new GenerationRequest(prompt, DemoModel.MAX_ANSWER_TOKENS,
                    SamplingConfig.greedy(), false), token -> true).tokens();
            engine = DemoModel.text(tokens);
        }
        System.out.println("F32 copy: engine: " + engine + "\nF32 copy: llama.cpp: " + llamaCpp);
        assertEquals(llamaCpp, engine);
        assertEquals(DemoModel.answer(question), engine, "the F32 copy answers as the Q8_0 file");
    }

    private static float[] dequantized(GgufFile file, TensorInfo info) {
        int count = Math.toIntExact(info.elementCount());
        float[] values = new float[count];
        if (info.type() == GgmlType.F32) {
            MemorySegment.copy(file.tensorData(info), ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, values, 0, count);
        } else {
            Quantizer.dequantize(info.type(), file.tensorData(info), 0, values, 0, count);
        }
        return values;
    }
}
