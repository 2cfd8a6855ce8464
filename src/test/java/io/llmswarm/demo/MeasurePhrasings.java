package io.llmswarm.demo;

import io.llmswarm.engine.ShardEngine;
import io.llmswarm.inference.LocalModel;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Measures a demo model file on build_corpus.py's phrasings.tsv (phrasing TAB trained|heldout TAB
 * question TAB gloss): per phrasing and kind of noun, how many greedy answers share a content word
 * with the gloss ({@link GlossOverlap}) and how many are the gloss word for word. A measuring tool
 * for tools/demo-model/README.md, not a test.
 *
 * <p>usage: MeasurePhrasings MODEL.gguf PHRASINGS.tsv [ANSWERS_OUT.tsv]
 */
public final class MeasurePhrasings {

    private MeasurePhrasings() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: MeasurePhrasings MODEL.gguf PHRASINGS.tsv [ANSWERS_OUT.tsv]");
        }
        List<String> lines = Files.readAllLines(Path.of(args[1]), StandardCharsets.UTF_8);
        Map<String, int[]> counts = new LinkedHashMap<>();
        try (LocalModel model = LocalModel.load(Path.of(args[0]), new ShardEngine.Options(1, 64, 16L << 20), layers -> { });
                PrintWriter out = args.length > 2 ? new PrintWriter(Files.newBufferedWriter(Path.of(args[2]), StandardCharsets.UTF_8)) : null) {
            for (String line : lines) {
                String[] f = line.split("\t", -1);
                String answer = DemoModel.answer(model, f[2]).strip();
                boolean shares = GlossOverlap.sharesContentWord(answer, f[3]);
                boolean exact = answer.equals(f[3]);
                int[] c = counts.computeIfAbsent(f[1] + " " + f[0], k -> new int[3]);
                c[0] += shares ? 1 : 0;
                c[1] += exact ? 1 : 0;
                c[2]++;
                if (out != null) {
                    out.println(f[0] + "\t" + f[1] + "\t" + (shares ? "+" : "-") + "\t" + f[2] + "\t" + answer + "\t" + f[3]);
                }
            }
        }
        System.out.println(args[0]);
        counts.forEach((key, c) -> System.out.printf("%-30s shares a word %4d / %d   exact %4d%n", key, c[0], c[2], c[1]));
    }
}
