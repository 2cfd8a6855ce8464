package io.llmswarm.demo;

import io.llmswarm.engine.ShardEngine;
import io.llmswarm.inference.GenerationRequest;
import io.llmswarm.inference.GenerationResult;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;
import io.llmswarm.tokenizer.StreamingDecoder;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** The shipped demo model (Q8_0), loaded once per JVM into the Java engine, and greedy answers from it. */
final class DemoModel {

    static final String RESOURCE = "/models/demo-wordnet-q8_0.gguf";
    static final int MAX_ANSWER_TOKENS = 48;

    private static LocalModel model;

    private DemoModel() {
    }

    static Path path() {
        URL url = DemoModel.class.getResource(RESOURCE);
        if (url == null) {
            throw new IllegalStateException("the demo model " + RESOURCE + " is not on the classpath: run tools/demo-model/run.sh");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("bad resource URL " + url, e);
        }
    }

    static synchronized LocalModel engine() {
        if (model == null) {
            model = LocalModel.load(path(), new ShardEngine.Options(2, 64, 16L << 20), layers -> { });
        }
        return model;
    }

    /** The prompt tokens of a question, with BOS, as llama.cpp tokenizes the same prompt text. */
    static int[] promptTokens(String question) {
        return engine().tokenizer().encode(DemoFormat.prompt(question), true, true);
    }

    /** The engine's greedy answer as llama.cpp would stream it (a leading space kept), up to the EOS. */
    static String answer(String question) {
        return answer(engine(), question);
    }

    /** The greedy answer of a demo model file loaded into the Java engine (MeasurePhrasings compares two files). */
    static String answer(LocalModel m, String question) {
        int[] prompt = m.tokenizer().encode(DemoFormat.prompt(question), true, true);
        GenerationRequest request = new GenerationRequest(prompt, MAX_ANSWER_TOKENS, SamplingConfig.greedy(), false);
        GenerationResult result = m.generator().generate("demo", request, token -> true);
        return text(m, result.tokens());
    }

    static String text(int[] tokens) {
        return text(engine(), tokens);
    }

    private static String text(LocalModel m, int[] tokens) {
        StreamingDecoder decoder = m.tokenizer().streamingDecoder();
        StringBuilder text = new StringBuilder();
        for (int token : tokens) {
            text.append(decoder.accept(token));
        }
        return text.toString();
    }
}
