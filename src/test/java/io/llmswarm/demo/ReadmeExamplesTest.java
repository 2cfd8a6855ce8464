package io.llmswarm.demo;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demo model's answers quoted in README.md and tools/demo-model/README.md are its real greedy
 * answers, so that the READMEs stay true when the model changes. Two forms are read: an indented
 * question line {@code > QUESTION} followed by the answer line, and the demo's own output
 * ({@code asking the swarm: QUESTION}, then {@code answer: ANSWER}).
 */
class ReadmeExamplesTest {

    record Example(String file, String question, String answer) {
    }

    @Test
    void quotedAnswersAreTheModelsAnswers() throws IOException {
        List<Example> examples = new ArrayList<>();
        examples.addAll(examples(Path.of("README.md")));
        examples.addAll(examples(Path.of("tools/demo-model/README.md")));
        assertTrue(examples.size() >= 10, "README examples found: " + examples);
        for (Example example : examples) {
            String answer = DemoModel.answer(example.question()).strip();
            System.out.println(example.file() + ": " + example.question() + " -> " + answer);
            assertEquals(example.answer(), answer, example.file() + ": the model's answer to \"" + example.question() + "\"");
        }
    }

    static List<Example> examples(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i + 1 < lines.size(); i++) {
            String line = lines.get(i).strip();
            String next = lines.get(i + 1).strip();
            if (lines.get(i).startsWith("    > ")) {
                examples.add(new Example(file.toString(), line.substring(2), next));
            } else if (line.startsWith("asking the swarm: ") && next.startsWith("answer: ")) {
                examples.add(new Example(file.toString(), line.substring("asking the swarm: ".length()),
                        next.substring("answer: ".length())));
            }
        }
        return examples;
    }
}
