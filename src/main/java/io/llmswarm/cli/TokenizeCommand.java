package io.llmswarm.cli;

import io.llmswarm.gguf.GgufFile;
import io.llmswarm.inference.BundledModel;
import io.llmswarm.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code node tokenize}: the token ids of a text, as a JSON array. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Print the token ids of a text as a JSON array (with BOS where the model adds it).")
public final class TokenizeCommand implements Callable<Integer> {

    @Option(names = "--model", paramLabel = "FILE",
            description = "GGUF model file (only its tokenizer is read). Default: the demo model inside node.jar.")
    Path model;

    @Option(names = "--text", paramLabel = "TEXT", required = true, description = "Text to tokenize.")
    String text;

    @Option(names = "--no-bos", description = "Do not add BOS/EOS even where the model asks for them.")
    boolean noBos;

    @Option(names = "--special", description = "Recognise control-token text such as <s> in the input.")
    boolean special;

    @Override
    public Integer call() {
        try (GgufFile file = GgufFile.open(model != null ? model : BundledModel.path())) {
            int[] ids = Tokenizer.of(file.metadata()).encode(text, !noBos, special);
            System.out.println(Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]")));
        }
        return 0;
    }
}
