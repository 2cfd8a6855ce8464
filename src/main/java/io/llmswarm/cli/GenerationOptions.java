package io.llmswarm.cli;

import io.llmswarm.coordinator.GenerateJson;
import io.llmswarm.inference.BundledModel;
import io.llmswarm.sampling.SamplingConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options shared by the commands that generate: model, prompt and sampling. */
public final class GenerationOptions {

    @Option(names = "--model", description = "GGUF model file. Default: the demo model inside node.jar.")
    Path model;

    @Option(names = "--prompt", required = true, description = "Prompt text.")
    String prompt;

    @Option(names = "--chat", negatable = true,
            description = "Render the prompt as a user message with the model's chat template "
                    + "(default: on for the demo model, off for a model file).")
    Boolean chat;

    @Option(names = "--max-tokens", defaultValue = "128", description = "Tokens to generate at most. Default: ${DEFAULT-VALUE}")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0.8", description = "0 is greedy. Default: ${DEFAULT-VALUE}")
    float temperature;

    @Option(names = "--top-k", defaultValue = "40", description = "0 disables. Default: ${DEFAULT-VALUE}")
    int topK;

    @Option(names = "--top-p", defaultValue = "0.95", description = "1 disables. Default: ${DEFAULT-VALUE}")
    float topP;

    @Option(names = "--min-p", defaultValue = "0.05", description = "0 disables. Default: ${DEFAULT-VALUE}")
    float minP;

    @Option(names = "--repeat-penalty", defaultValue = "1.0", description = "1 disables. Default: ${DEFAULT-VALUE}")
    float repeatPenalty;

    @Option(names = "--repeat-last-n", defaultValue = "64", description = "Tokens the penalty looks back. Default: ${DEFAULT-VALUE}")
    int repeatLastN;

    @Option(names = "--seed", defaultValue = "-1", description = "Sampling seed; -1 picks one. Default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--threads", defaultValue = "0", description = "Kernel threads; 0 means one per core.")
    int threads;

    @Option(names = "--ignore-eos", description = "Keep generating after end of generation.")
    boolean ignoreEos;

    private boolean bundled;

    /** The model file: the one given, or the bundled demo model. */
    Path model() {
        if (model == null) {
            model = BundledModel.path();
            bundled = true;
        }
        return model;
    }

    /** Whether to apply the chat template: as asked, else only for the (chat-trained) demo model. */
    boolean chat() {
        model();
        return chat != null ? chat : bundled;
    }

    int threads() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }

    /** The seed given, or one drawn once per run (llama.cpp's range, 32 bits), which the command reports. */
    long seed() {
        if (seed < 0) {
            seed = GenerateJson.freshSeed();
        }
        return seed;
    }

    SamplingConfig sampling() {
        return new SamplingConfig(temperature, topK, topP, minP, repeatPenalty, repeatLastN, seed());
    }
}
