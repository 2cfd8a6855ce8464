package io.llmswarm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {
    /** TinyLlama-1.1B-Chat-v1.0's tokenizer.chat_template. */
    static final String TINYLLAMA = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n"
            + "{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n"
            + "{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n"
            + "{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n"
            + "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";
    static final String LLAMA3 = "{% set loop_messages = messages %}{% for message in loop_messages %}"
            + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}"
            + "{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";
    /** Llama-2-chat's own template. */
    static final String LLAMA2_CHAT = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
            + "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}"
            + "{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
            + "{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}"
            + "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
            + "{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";
    static final String MISTRAL = "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
            + "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + eos_token}}{% endif %}{% endfor %}";
    static final String QWEN = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}";

    private static final List<ChatMessage> CHAT = List.of(
            new ChatMessage("system", "You are terse."), new ChatMessage("user", "Hi"),
            new ChatMessage("assistant", "Hello."), new ChatMessage("user", "2+2?"));

    @Test
    void detectsTheFamilyFromTheTemplateText() {
        assertEquals(ChatTemplate.ZEPHYR, ChatTemplate.detect(TINYLLAMA));
        assertEquals(ChatTemplate.LLAMA3, ChatTemplate.detect(LLAMA3));
        assertEquals(ChatTemplate.LLAMA2, ChatTemplate.detect(LLAMA2_CHAT));
        assertEquals(ChatTemplate.MISTRAL, ChatTemplate.detect(MISTRAL));
        assertEquals(ChatTemplate.CHATML, ChatTemplate.detect(QWEN));
        assertEquals(ChatTemplate.CHATML, ChatTemplate.detect(null));
        assertEquals(ChatTemplate.CHATML, ChatTemplate.detect("{{ something unknown }}"));
    }

    @Test
    void rendersZephyrAsTinyLlamaExpects() {
        assertEquals("<|system|>\nYou are terse.</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello.</s>\n<|user|>\n2+2?</s>\n<|assistant|>\n",
                ChatTemplate.ZEPHYR.render(CHAT, "</s>", true));
    }

    @Test
    void rendersLlama3WithHeadersAndTurnEnds() {
        assertEquals("<|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                ChatTemplate.LLAMA3.render(CHAT, "<|eot_id|>", true));
    }

    @Test
    void rendersLlama2AndMistralInstTurns() {
        assertEquals("[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHi [/INST] Hello. </s><s>[INST] 2+2? [/INST]",
                ChatTemplate.LLAMA2.render(CHAT, "</s>", true));
        assertEquals("[INST] You are terse.\n\nHi [/INST]Hello.</s>[INST] 2+2? [/INST]",
                ChatTemplate.MISTRAL.render(CHAT, "</s>", true));
    }

    @Test
    void rendersChatMlWithGenerationPrompt() {
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                ChatTemplate.CHATML.render(List.of(new ChatMessage("user", "Hi")), "", true));
        assertEquals("<|im_start|>user\nHi<|im_end|>\n",
                ChatTemplate.CHATML.render(List.of(new ChatMessage("user", "Hi")), "", false));
    }

    @Test
    void renderedMarkersBecomeControlTokens() {
        Tokenizer llama3 = Tokenizer.of(TestVocabularies.llama3());
        int[] ids = llama3.encode(ChatTemplate.LLAMA3.render(CHAT, "<|eot_id|>", true), true, true);
        assertEquals(128000, ids[0]);
        assertEquals(128006, ids[1]); // <|start_header_id|>
        assertTrue(java.util.Arrays.stream(ids).filter(id -> id == 128009).count() == 4);
        Tokenizer llama2 = Tokenizer.of(TestVocabularies.llama2());
        int[] zephyr = llama2.encode(ChatTemplate.ZEPHYR.render(CHAT, "</s>", true), true, true);
        assertEquals(4, java.util.Arrays.stream(zephyr).filter(id -> id == 2).count());
    }

    @Test
    void anUnknownNameIsAClearError() {
        assertEquals(ChatTemplate.LLAMA3, ChatTemplate.named("llama3"));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.named("vicuna"));
        assertTrue(error.getMessage().contains("vicuna"), error.getMessage());
    }
}
