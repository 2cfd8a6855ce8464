package io.llmswarm.demo;

import io.llmswarm.tokenizer.ChatMessage;
import io.llmswarm.tokenizer.ChatTemplate;
import io.llmswarm.tokenizer.SpecialTokens;
import io.llmswarm.tokenizer.Tokenizer;
import io.llmswarm.tokenizer.Vocabulary;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The demo model's prompt format and vocabulary, shared by the corpus tokenizer, the exporter and
 * the tests so that training and inference see the same tokens.
 *
 * <p>The format is TinyLlama-Chat's (Zephyr): {@code <s><|user|>\nWhat is X?</s>\n<|assistant|>\n}
 * followed by the answer and {@code </s>}. The model file carries TinyLlama-Chat's chat template,
 * so chat front ends render the same prompt.
 */
final class DemoFormat {

    /** TinyLlama-1.1B-Chat-v1.0's {@code tokenizer.chat_template}. */
    static final String CHAT_TEMPLATE = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n"
            + "{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n"
            + "{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n"
            + "{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n"
            + "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

    static final String END_OF_SENTENCE = "</s>";

    private static Vocabulary llama2;

    private DemoFormat() {
    }

    /** The prompt text for one question, ready for {@code encode(text, true, true)}. */
    static String prompt(String question) {
        return ChatTemplate.of(CHAT_TEMPLATE, "<s>", END_OF_SENTENCE, "demo").render(List.of(new ChatMessage("user", question)), true);
    }

    /** A whole training example: the prompt, the answer and the end of sentence. */
    static String example(String question, String answer) {
        return prompt(question) + answer + END_OF_SENTENCE;
    }

    static Tokenizer tokenizer() {
        return Tokenizer.of(llama2());
    }

    /** The LLaMA-2 / TinyLlama vocabulary (32000 SentencePiece tokens) from the test resources. */
    static synchronized Vocabulary llama2() {
        if (llama2 == null) {
            JsonNode json = read("/tokenizers/llama2-spm.json.gz");
            JsonNode tokens = json.get("tokens");
            int size = tokens.size();
            String[] pieces = new String[size];
            float[] scores = new float[size];
            int[] types = new int[size];
            for (int i = 0; i < size; i++) {
                pieces[i] = tokens.get(i).asText();
                scores[i] = (float) json.get("scores").get(i).asDouble();
                types[i] = json.get("types").get(i).asInt();
            }
            llama2 = new Vocabulary(Vocabulary.SENTENCE_PIECE, "default", pieces, scores, types, null,
                    SpecialTokens.sentencePieceDefaults());
        }
        return llama2;
    }

    private static JsonNode read(String resource) {
        try (InputStream in = DemoFormat.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("test resource " + resource + " is missing: run tools/extract-vocabularies.mjs");
            }
            return new ObjectMapper().readTree(new GZIPInputStream(in));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read test resource " + resource, e);
        }
    }
}
