package io.llmswarm.tokenizer;

import io.llmswarm.gguf.GgufMetadata;
import java.util.List;

/**
 * Prompt formats of the common chat model families, chosen from a model's
 * {@code tokenizer.chat_template} by looking for telling substrings, the way llama.cpp's
 * {@code llm_chat_detect_template} does. The rendered prompt carries no BOS: the tokenizer adds it
 * (encode with addBos), and it must be encoded with parseSpecial so the markers become tokens.
 */
public enum ChatTemplate {
    /** {@code <|im_start|>user\n...<|im_end|>\n} (Qwen, many fine-tunes); llama.cpp's default too. */
    CHATML,
    /** {@code <|start_header_id|>user<|end_header_id|>\n\n...<|eot_id|>} */
    LLAMA3,
    /** {@code [INST] <<SYS>>\n...\n<</SYS>>\n\n... [/INST] ... </s><s>[INST] ...} */
    LLAMA2,
    /** {@code [INST] ... [/INST]...</s>[INST] ...} (Mistral / Mixtral instruct v0.1) */
    MISTRAL,
    /** {@code <|user|>\n...</s>\n<|assistant|>\n} (Zephyr, TinyLlama-Chat) */
    ZEPHYR;

    /** The family of a Jinja chat template; CHATML when the template is missing or unknown. */
    public static ChatTemplate detect(String template) {
        if (template == null || template.isBlank()) {
            return CHATML;
        }
        if (template.contains("<|im_start|>")) {
            return CHATML;
        }
        if (template.contains("<|start_header_id|>") && template.contains("<|end_header_id|>")) {
            return LLAMA3;
        }
        if (template.startsWith("mistral") || template.contains("[INST]")) {
            return template.contains("<<SYS>>") ? LLAMA2 : MISTRAL;
        }
        if (template.contains("<|user|>") && template.contains("<|assistant|>")) {
            return ZEPHYR;
        }
        if (template.contains("<|user|>") && template.contains("<|endoftext|>")) {
            return ZEPHYR;
        }
        return CHATML;
    }

    /** The family of a model, from its {@code tokenizer.chat_template} metadata. */
    public static ChatTemplate forModel(GgufMetadata metadata) {
        return detect(metadata.getStringOrDefault("tokenizer.chat_template", null));
    }

    /** A family by name (chatml, llama3, llama2, mistral, zephyr), for a command-line override. */
    public static ChatTemplate named(String name) {
        for (ChatTemplate template : values()) {
            if (template.name().equalsIgnoreCase(name)) {
                return template;
            }
        }
        throw new IllegalArgumentException("unknown chat template '" + name + "': expected one of chatml, llama3, llama2, mistral, zephyr");
    }

    /**
     * @param endOfSentence the text of the vocabulary's EOS token ({@code </s>} for LLaMA 2 and
     *                      TinyLlama); Zephyr ends each turn with it
     * @param addGenerationPrompt end with the opening of the assistant's turn
     */
    public String render(List<ChatMessage> messages, String endOfSentence, boolean addGenerationPrompt) {
        StringBuilder out = new StringBuilder();
        switch (this) {
            case CHATML -> {
                for (ChatMessage m : messages) {
                    out.append("<|im_start|>").append(m.role()).append('\n').append(m.content()).append("<|im_end|>\n");
                }
                if (addGenerationPrompt) {
                    out.append("<|im_start|>assistant\n");
                }
            }
            case LLAMA3 -> {
                for (ChatMessage m : messages) {
                    out.append("<|start_header_id|>").append(m.role()).append("<|end_header_id|>\n\n")
                            .append(m.content().strip()).append("<|eot_id|>");
                }
                if (addGenerationPrompt) {
                    out.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
                }
            }
            case LLAMA2, MISTRAL -> renderInstruct(messages, endOfSentence, out);
            case ZEPHYR -> {
                for (ChatMessage m : messages) {
                    out.append("<|").append(m.role()).append("|>\n").append(m.content()).append(endOfSentence).append('\n');
                }
                if (addGenerationPrompt) {
                    out.append("<|assistant|>\n");
                }
            }
        }
        return out.toString();
    }

    /**
     * [INST] turns as the models' own templates write them: Llama 2 strips the contents and ends an
     * answer with " </s>" and starts the next turn with "<s>"; Mistral v0.1 puts the answer right
     * after [/INST] and has no system role, so the system text goes before the first question.
     * The generation prompt is implicit: the text ends after [/INST].
     */
    private void renderInstruct(List<ChatMessage> messages, String endOfSentence, StringBuilder out) {
        boolean llama2 = this == LLAMA2;
        String system = null;
        boolean first = true;
        for (ChatMessage m : messages) {
            String content = llama2 ? m.content().strip() : m.content();
            switch (m.role()) {
                case "system" -> system = content;
                case "user" -> {
                    if (!first) {
                        out.append(llama2 ? "<s>" : "");
                    }
                    out.append("[INST] ");
                    if (system != null) {
                        out.append(llama2 ? "<<SYS>>\n" + system + "\n<</SYS>>\n\n" : system + "\n\n");
                        system = null;
                    }
                    out.append(content).append(" [/INST]");
                    first = false;
                }
                default -> out.append(llama2 ? " " + content + " " : content).append(endOfSentence);
            }
        }
    }
}
