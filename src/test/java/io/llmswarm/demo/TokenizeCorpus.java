package io.llmswarm.demo;

import io.llmswarm.tokenizer.Tokenizer;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Turns the corpus (question TAB answer per line) into the token ids the trainer reads, with the
 * project's own LLaMA-2 tokenizer, so that training sees exactly what the engine and llama.cpp
 * see at inference.
 *
 * <p>Output, little-endian int32 throughout: per example its token count n, the prompt's token
 * count p, then n ids (BOS, prompt, answer, EOS). Run by tools/demo-model/run.sh.
 */
public final class TokenizeCorpus {

    private TokenizeCorpus() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: TokenizeCorpus CORPUS.tsv OUT.bin");
        }
        Tokenizer tokenizer = DemoFormat.tokenizer();
        List<String> lines = Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8);
        long tokens = 0;
        int longest = 0;
        try (OutputStream file = Files.newOutputStream(Path.of(args[1]));
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(file, 1 << 16))) {
            for (int n = 0; n < lines.size(); n++) {
                String[] fields = lines.get(n).split("\t", -1);
                if (fields.length != 2) {
                    throw new IllegalArgumentException(args[0] + " line " + (n + 1) + ": expected question TAB answer, found "
                            + lines.get(n));
                }
                int[] prompt = tokenizer.encode(DemoFormat.prompt(fields[0]), true, true);
                int[] whole = tokenizer.encode(DemoFormat.example(fields[0], fields[1]), true, true);
                if (!Arrays.equals(prompt, 0, prompt.length, whole, 0, prompt.length)) {
                    throw new IllegalStateException("line " + (n + 1) + ": the prompt's tokens are not a prefix of the example's");
                }
                writeLittleEndian(out, whole.length);
                writeLittleEndian(out, prompt.length);
                for (int id : whole) {
                    writeLittleEndian(out, id);
                }
                tokens += whole.length;
                longest = Math.max(longest, whole.length);
            }
        }
        System.out.println(lines.size() + " examples, " + tokens + " tokens, longest " + longest);
    }

    private static void writeLittleEndian(DataOutputStream out, int value) throws IOException {
        out.writeInt(Integer.reverseBytes(value));
    }
}
