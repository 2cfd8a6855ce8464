package io.llmswarm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmswarm.gguf.GgufFile;
import java.nio.file.Path;
import java.time.Year;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Models' own chat templates rendered with Jinja, against the text llama.cpp renders for them: the
 * conversation, templates and expected texts of llama.cpp's {@code tests/test-chat-template.cpp}
 * (its Jinja results, which put a system message the template does not render before the first
 * user message). Zephyr/TinyLlama and Llama-2-chat are checked against a live llama.cpp in
 * {@link LlamaCppChatTemplateTest} too.
 */
class ChatTemplateTest {
    /** TinyLlama-1.1B-Chat-v1.0's tokenizer.chat_template (Zephyr's). */
    static final String TINYLLAMA = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n"
            + "{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n"
            + "{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n"
            + "{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n"
            + "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";
    /** Llama-3's (as in llama.cpp's test). */
    static final String LLAMA3 = "{% set loop_messages = messages %}{% for message in loop_messages %}"
            + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}"
            + "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
            + "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}";
    /** Llama-2-chat's own template. */
    static final String LLAMA2_CHAT = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
            + "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}"
            + "{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
            + "{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}"
            + "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
            + "{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";
    /** Mistral-7B-Instruct-v0.2's first template (no system role). */
    static final String MISTRAL = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
            + "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}"
            + "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";
    /** Mistral's "v1" template, with a system prompt. */
    static final String MISTRAL_V1 = "{%- if messages[0]['role'] == 'system' %}\n    {%- set system_message = messages[0]['content'] %}\n"
            + "    {%- set loop_messages = messages[1:] %}\n{%- else %}\n    {%- set loop_messages = messages %}\n{%- endif %}\n\n"
            + "{{- bos_token }}\n{%- for message in loop_messages %}\n"
            + "    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\n"
            + "        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}\n"
            + "    {%- endif %}\n    {%- if message['role'] == 'user' %}\n        {%- if loop.first and system_message is defined %}\n"
            + "            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}\n        {%- else %}\n"
            + "            {{- ' [INST] ' + message['content'] + ' [/INST]' }}\n        {%- endif %}\n"
            + "    {%- elif message['role'] == 'assistant' %}\n        {{- ' ' + message['content'] + eos_token}}\n    {%- else %}\n"
            + "        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}\n"
            + "    {%- endif %}\n{%- endfor %}\n";
    /** ChatML (OpenHermes, Qwen). */
    static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    /** google/gemma-7b-it's (refuses a system message). */
    static final String GEMMA = "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
            + "{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}"
            + "{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}";
    /** Phi-3-mini's (ignores a system message). */
    static final String PHI3_MINI = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}"
            + "{{'<|user|>' + '\n' + message['content'] + '<|end|>' + '\n' + '<|assistant|>' + '\n'}}"
            + "{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\n'}}{% endif %}{% endfor %}";
    /** Phi-3-small's. */
    static final String PHI3_SMALL = "{{ bos_token }}{% for message in messages %}{{'<|' + message['role'] + '|>' + '\n' + message['content'] + '<|end|>\n' }}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}";
    /** TheBloke/FusionNet_34Bx2_MoE-AWQ's Llama-2-style template (range, whitespace control). */
    static final String FUSIONNET = "{%- for idx in range(0, messages|length) -%}\n{%- if messages[idx]['role'] == 'user' -%}\n"
            + "{%- if idx > 1 -%}\n{{- bos_token + '[INST] ' + messages[idx]['content'] + ' [/INST]' -}}\n{%- else -%}\n"
            + "{{- messages[idx]['content'] + ' [/INST]' -}}\n{%- endif -%}\n{% elif messages[idx]['role'] == 'system' %}\n"
            + "{{- '[INST] <<SYS>>\\n' + messages[idx]['content'] + '\\n<</SYS>>\\n\\n' -}}\n"
            + "{%- elif messages[idx]['role'] == 'assistant' -%}\n{{- ' '  + messages[idx]['content'] + ' ' + eos_token -}}\n"
            + "{% endif %}\n{% endfor %}";
    /** openchat-3.5's (Python's str.title()). */
    static final String OPENCHAT = "{{ bos_token }}{% for message in messages %}{{ 'GPT4 Correct ' + message['role'].title() + ': ' + message['content'] + '<|end_of_turn|>'}}"
            + "{% endfor %}{% if add_generation_prompt %}{{ 'GPT4 Correct Assistant:' }}{% endif %}";
    /** deepseek-coder-33b-instruct's (namespace, trim_blocks / lstrip_blocks). */
    static final String DEEPSEEK_CODER = "{% if not add_generation_prompt is defined %}\n{% set add_generation_prompt = false %}\n{% endif %}\n"
            + "{%- set ns = namespace(found=false) -%}\n{%- for message in messages -%}\n    {%- if message['role'] == 'system' -%}\n"
            + "        {%- set ns.found = true -%}\n    {%- endif -%}\n{%- endfor -%}\n{{bos_token}}{%- if not ns.found -%}\n"
            + "{{'You are an AI programming assistant, utilizing the Deepseek Coder model, developed by Deepseek Company, and you only answer questions related to computer science. For politically sensitive questions, security and privacy issues, and other non-computer science questions, you will refuse to answer\\n'}}\n"
            + "{%- endif %}\n{%- for message in messages %}\n    {%- if message['role'] == 'system' %}\n{{ message['content'] }}\n"
            + "    {%- else %}\n        {%- if message['role'] == 'user' %}\n{{'### Instruction:\\n' + message['content'] + '\\n'}}\n"
            + "        {%- else %}\n{{'### Response:\\n' + message['content'] + '\\n<|EOT|>\\n'}}\n        {%- endif %}\n    {%- endif %}\n"
            + "{%- endfor %}\n{% if add_generation_prompt %}\n{{'### Response:'}}\n{% endif %}";

    /** llama.cpp's test conversation. */
    static final List<ChatMessage> CONVERSATION = List.of(new ChatMessage("system", "You are a helpful assistant"),
            new ChatMessage("user", "Hello"), new ChatMessage("assistant", "Hi there"),
            new ChatMessage("user", "Who are you"), new ChatMessage("assistant", "   I am an assistant   "),
            new ChatMessage("user", "Another question"));

    static Stream<Arguments> templates() {
        return Stream.of(
                Arguments.of("ChatML / Qwen", CHATML, "", "",
                        "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n"
                                + "<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n"
                                + "<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n"
                                + "<|im_start|>assistant\n"),
                Arguments.of("Llama-3", LLAMA3, "", "",
                        "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|>"
                                + "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
                                + "<|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|>"
                                + "<|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|>"
                                + "<|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|>"
                                + "<|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|>"
                                + "<|start_header_id|>assistant<|end_header_id|>\n\n"),
                Arguments.of("Mistral v0.2 (no system role)", MISTRAL, "", "</s>",
                        "[INST] You are a helpful assistant\nHello [/INST]Hi there</s>[INST] Who are you [/INST]   I am an assistant   </s>"
                                + "[INST] Another question [/INST]"),
                Arguments.of("Mistral v1 (system prompt)", MISTRAL_V1, "", "</s>",
                        " [INST] You are a helpful assistant\n\nHello [/INST] Hi there</s> [INST] Who are you [/INST]    I am an assistant   </s>"
                                + " [INST] Another question [/INST]"),
                Arguments.of("Gemma (refuses a system role)", GEMMA, "", "",
                        "<start_of_turn>user\nYou are a helpful assistant\nHello<end_of_turn>\n<start_of_turn>model\nHi there<end_of_turn>\n"
                                + "<start_of_turn>user\nWho are you<end_of_turn>\n<start_of_turn>model\nI am an assistant<end_of_turn>\n"
                                + "<start_of_turn>user\nAnother question<end_of_turn>\n<start_of_turn>model\n"),
                Arguments.of("Phi-3-mini (ignores a system role)", PHI3_MINI, "", "",
                        "<|user|>\nYou are a helpful assistant\nHello<|end|>\n<|assistant|>\nHi there<|end|>\n<|user|>\nWho are you<|end|>\n"
                                + "<|assistant|>\n   I am an assistant   <|end|>\n<|user|>\nAnother question<|end|>\n<|assistant|>\n"),
                Arguments.of("Phi-3-small", PHI3_SMALL, "", "",
                        "<|system|>\nYou are a helpful assistant<|end|>\n<|user|>\nHello<|end|>\n<|assistant|>\nHi there<|end|>\n"
                                + "<|user|>\nWho are you<|end|>\n<|assistant|>\n   I am an assistant   <|end|>\n<|user|>\nAnother question<|end|>\n"
                                + "<|assistant|>\n"),
                Arguments.of("Zephyr / TinyLlama", TINYLLAMA, "<s>", "</s>",
                        "<|system|>\nYou are a helpful assistant</s>\n<|user|>\nHello</s>\n<|assistant|>\nHi there</s>\n"
                                + "<|user|>\nWho are you</s>\n<|assistant|>\n   I am an assistant   </s>\n<|user|>\nAnother question</s>\n"
                                + "<|assistant|>\n"),
                Arguments.of("Llama-2-chat", LLAMA2_CHAT, "<s>", "</s>",
                        "<s>[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST] Hi there </s><s>[INST] Who are you [/INST]"
                                + " I am an assistant </s><s>[INST] Another question [/INST]"),
                Arguments.of("Llama-2 style (FusionNet)", FUSIONNET, "<s>", "</s>",
                        "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST] Hi there </s><s>[INST] Who are you [/INST]"
                                + "    I am an assistant    </s><s>[INST] Another question [/INST]"),
                Arguments.of("openchat (str.title)", OPENCHAT, "", "",
                        "GPT4 Correct System: You are a helpful assistant<|end_of_turn|>GPT4 Correct User: Hello<|end_of_turn|>"
                                + "GPT4 Correct Assistant: Hi there<|end_of_turn|>GPT4 Correct User: Who are you<|end_of_turn|>"
                                + "GPT4 Correct Assistant:    I am an assistant   <|end_of_turn|>GPT4 Correct User: Another question<|end_of_turn|>"
                                + "GPT4 Correct Assistant:"),
                Arguments.of("deepseek-coder (namespace)", DEEPSEEK_CODER, "", "",
                        "You are a helpful assistant### Instruction:\nHello\n### Response:\nHi there\n<|EOT|>\n### Instruction:\nWho are you\n"
                                + "### Response:\n   I am an assistant   \n<|EOT|>\n### Instruction:\nAnother question\n### Response:\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("templates")
    void rendersAsLlamaCppDoes(String name, String template, String bos, String eos, String expected) {
        assertEquals(expected, ChatTemplate.of(template, bos, eos, name).render(CONVERSATION, true));
    }

    @Test
    void aTemplateWithoutSystemRoleIsKnownAsSuch() {
        assertFalse(ChatTemplate.of(GEMMA, "", "", "gemma").supportsSystemRole());
        assertFalse(ChatTemplate.of(PHI3_MINI, "", "", "phi3").supportsSystemRole());
        assertTrue(ChatTemplate.of(CHATML, "", "", "qwen").supportsSystemRole());
        assertTrue(ChatTemplate.of(LLAMA2_CHAT, "<s>", "</s>", "llama2").supportsSystemRole());
    }

    @Test
    void theTemplatesOwnRefusalIsAnErrorNamingTheModel() {
        ChatTemplate gemma = ChatTemplate.of(GEMMA, "<bos>", "<eos>", "gemma-7b-it");
        ChatTemplateException error = assertThrows(ChatTemplateException.class,
                () -> gemma.render(List.of(new ChatMessage("user", "a"), new ChatMessage("user", "b")), true));
        assertTrue(error.getMessage().contains("\"gemma-7b-it\""), error.getMessage());
        assertTrue(error.getMessage().contains("Conversation roles must alternate"), error.getMessage());
        assertFalse(error.getMessage().contains("Exception"), error.getMessage());
    }

    @Test
    void aTemplateThatCannotRenderIsAClearError() {
        for (String broken : List.of("{% for message in messages %}{{ message['content'] }}",
                "{{ no_such_function(messages) }}", "{{ messages[0]['content'] ")) {
            ChatTemplateException error = assertThrows(ChatTemplateException.class,
                    () -> ChatTemplate.of(broken, "", "", "broken-model").render(List.of(new ChatMessage("user", "Hi")), true),
                    broken);
            assertTrue(error.getMessage().startsWith("the chat template of model \"broken-model\" cannot render"),
                    error.getMessage());
        }
    }

    @Test
    void llamaCppsExtraFunctionsAndPythonStringMethodsWork() {
        ChatTemplate template = ChatTemplate.of("{{ strftime_now('%Y') }}|{{ messages[0].content.upper() }}|"
                + "{{ messages[0].content.startswith('He') }}|{{ messages[0].content.split(' ')[1] }}|"
                + "{{ ' x '.lstrip() }}|{{ 'a-b'.replace('-', '+') }}", "", "", "functions");
        String year = Integer.toString(Year.now().getValue());
        String rendered = template.render(List.of(new ChatMessage("user", "Hello world")), true);
        // strftime_now reads the clock: around midnight on New Year's Eve the year may have moved on.
        String after = Integer.toString(Year.now().getValue());
        assertTrue(rendered.equals(year + "|HELLO WORLD|true|world|x |a+b")
                || rendered.equals(after + "|HELLO WORLD|true|world|x |a+b"), rendered);
        assertEquals("26 Jul 2024", TemplateFunctions.strftime("%d %b %Y",
                ZonedDateTime.of(2024, 7, 26, 10, 0, 0, 0, ZoneOffset.UTC)));
    }

    private static ChatTemplate ofModelFile(String chatTemplate, Path dir) {
        Path file = dir.resolve("model.gguf");
        TinyModelFile.write(TestVocabularies.llama2(), chatTemplate, file);
        try (GgufFile gguf = GgufFile.open(file)) {
            return ChatTemplate.forModel(gguf.metadata(), Tokenizer.of(gguf.metadata()), "llama-2-chat");
        }
    }

    @Test
    void thePromptLeavesOutTheBosTheTokenizerAddsItself(@TempDir Path dir) {
        Tokenizer llama2 = Tokenizer.of(TestVocabularies.llama2());
        ChatTemplate template = ofModelFile(LLAMA2_CHAT, dir);
        assertTrue(template.fromModel());
        List<ChatMessage> chat = List.of(new ChatMessage("user", "Hi"));
        assertEquals("<s>[INST] Hi [/INST]", template.render(chat, true));
        assertEquals("[INST] Hi [/INST]", template.prompt(chat));
        int[] ids = llama2.encode(template.prompt(chat), true, true);
        assertEquals(1, Arrays.stream(ids).filter(id -> id == llama2.bos()).count());
    }

    @Test
    void aModelWithoutATemplateGetsChatMl(@TempDir Path dir) {
        ChatTemplate template = ofModelFile(null, dir);
        assertFalse(template.fromModel());
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                template.prompt(List.of(new ChatMessage("user", "Hi"))));
    }
}
