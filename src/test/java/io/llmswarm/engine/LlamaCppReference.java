package io.llmswarm.engine;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.args.LogFormat;
import de.kherud.llama.ModelParameters;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * llama.cpp (java-llama.cpp, in this JVM) as the numerical reference. Native models are never
 * freed by java-llama.cpp, so each file is loaded once per JVM and kept.
 */
final class LlamaCppReference {

    private static final Map<Path, LlamaModel> MODELS = new ConcurrentHashMap<>();

    private LlamaCppReference() {
    }

    static LlamaModel model(Path file) {
        return MODELS.computeIfAbsent(file, f -> {
            LlamaModel.setLogger(LogFormat.TEXT, (level, message) -> { });
            return new LlamaModel(new ModelParameters().setModel(f.toString()).setThreads(2)
                    .setThreadsBatch(2).setCtxSize(512).setParallel(1));
        });
    }

    /** llama.cpp's greedy continuation of {@code prompt}: {@code tokens} tokens, EOS ignored. */
    static String greedy(Path file, String prompt, int tokens) {
        InferenceParameters parameters = new InferenceParameters(prompt).setTemperature(0f).setNPredict(tokens)
                .setIgnoreEos(true).setCachePrompt(false);
        StringBuilder text = new StringBuilder();
        LlamaIterator iterator = (LlamaIterator) model(file).generate(parameters).iterator();
        while (iterator.hasNext()) {
            LlamaOutput output = iterator.next();
            text.append(output.text);
        }
        return text.toString();
    }
}
