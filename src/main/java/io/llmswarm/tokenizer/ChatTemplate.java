package io.llmswarm.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import io.llmswarm.gguf.GgufMetadata;
import jinjava.javax.el.CompositeELResolver;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A model's chat template: the Jinja text of its {@code tokenizer.chat_template}, rendered by a real
 * Jinja engine (Jinjava) the way Hugging Face and llama.cpp render it: {@code trim_blocks} and
 * {@code lstrip_blocks}, the variables {@code messages}, {@code bos_token}, {@code eos_token} and
 * {@code add_generation_prompt}, llama.cpp's extra functions {@code raise_exception} and
 * {@code strftime_now}, and Python's string methods ({@code .strip()}, {@code .title()},
 * {@code .startswith()}, ...). Like llama.cpp, a template that ignores or refuses a system message
 * gets the system text put before the first user message instead.
 *
 * <p>A template that cannot render the messages (a syntax error, an unknown function, or its own
 * {@code raise_exception}, such as "roles must alternate") throws {@link ChatTemplateException}
 * naming the model. A model without a template gets ChatML, as llama.cpp gives it; {@link #fromModel()}
 * tells the two apart.
 */
public final class ChatTemplate {

    /** ChatML, llama.cpp's template for a model that has none. */
    public static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
            + "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** Bounds what a template may produce, so a looping template cannot take all memory. */
    private static final long MAX_OUTPUT_CHARS = 16L << 20;
    private static final String SYSTEM_NEEDLE = "<System Needle>";
    /**
     * {@code not x is defined}: in Jinja the test binds first ({@code not (x is defined)}), in
     * Jinjava the {@code not}; the parentheses make Jinjava read it as Jinja does.
     */
    private static final Pattern NOT_IS_TEST = Pattern.compile(
            "\\bnot\\s+([A-Za-z_][\\w.]*(?:\\[[^\\]]*\\])*)\\s+is\\s+(not\\s+)?([A-Za-z_]\\w*)\\b");

    private final String source;
    private final String jinjaSource;
    private final String bosToken;
    private final String eosToken;
    private final String modelName;
    private final boolean fromModel;
    private final boolean stripBos;
    private final Jinjava jinjava;
    private final boolean supportsSystemRole;

    private ChatTemplate(String source, String bosToken, String eosToken, String modelName, boolean fromModel,
                         boolean stripBos) {
        this.source = Objects.requireNonNull(source, "source");
        this.jinjaSource = NOT_IS_TEST.matcher(source).replaceAll("not ($1 is $2$3)");
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.modelName = modelName;
        this.fromModel = fromModel;
        this.stripBos = stripBos;
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        // Python Jinja's behaviour where Jinjava's default differs: {{- -}} trims, Python's operator
        // precedence, dict keys evaluated and iterated, Python's repr of lists and dicts.
        LegacyOverrides python = LegacyOverrides.newBuilder().withUseTrimmingForNotesAndExpressions(true)
                .withParseWhitespaceControlStrictly(true).withUseNaturalOperatorPrecedence(true)
                .withEvaluateMapKeys(true).withIterateOverMapKeys(true).withKeepNullableLoopValues(true)
                .withUsePyishObjectMapper(true).build();
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withLegacyOverrides(python).withMaxOutputSize(MAX_OUTPUT_CHARS).withElResolver(resolver).build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                TemplateFunctions.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
                TemplateFunctions.class, "strftimeNow", String.class));
        this.supportsSystemRole = probeSystemRole();
    }

    /**
     * A template as text, with the texts of the vocabulary's BOS and EOS tokens; {@code modelName}
     * names the model in errors. The rendering keeps a BOS the template writes.
     */
    public static ChatTemplate of(String source, String bosToken, String eosToken, String modelName) {
        return new ChatTemplate(source, bosToken, eosToken, modelName, true, false);
    }

    /**
     * The template of a model: its {@code tokenizer.chat_template}, or ChatML when it has none.
     * {@link #prompt} leaves out a BOS the template writes when the tokenizer adds one itself (as
     * llama.cpp's server does), so the prompt does not start with two.
     */
    public static ChatTemplate forModel(GgufMetadata metadata, Tokenizer tokenizer, String modelName) {
        String source = metadata.getStringOrDefault("tokenizer.chat_template", null);
        boolean fromModel = source != null && !source.isBlank();
        String bos = tokenizer.bos() >= 0 ? tokenizer.tokenPiece(tokenizer.bos()) : "";
        String eos = tokenizer.eos() >= 0 ? tokenizer.tokenPiece(tokenizer.eos()) : "";
        boolean addsBos = tokenizer.bos() >= 0 && tokenizer.encode("", true, false).length > 0;
        return new ChatTemplate(fromModel ? source : CHATML, bos, eos, modelName, fromModel, addsBos);
    }

    /** True when the model carries its own template; false for the ChatML stand-in. */
    public boolean fromModel() {
        return fromModel;
    }

    /** The Jinja text. */
    public String source() {
        return source;
    }

    /** Whether the template renders a system message (else it goes before the first user message). */
    public boolean supportsSystemRole() {
        return supportsSystemRole;
    }

    /** The prompt for these messages, ending with the opening of the assistant's turn, ready to tokenize with BOS. */
    public String prompt(List<ChatMessage> messages) {
        String text = render(messages, true);
        return stripBos && !bosToken.isEmpty() && text.startsWith(bosToken) ? text.substring(bosToken.length()) : text;
    }

    /**
     * The template's text for {@code messages}, exactly as the template writes it.
     *
     * @throws ChatTemplateException naming the model when the template cannot render them
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<ChatMessage> adapted = supportsSystemRole ? messages : withoutSystemRole(messages);
        return renderRaw(adapted, addGenerationPrompt);
    }

    private String renderRaw(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (ChatMessage m : messages) {
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", m.role());
            message.put("content", m.content());
            list.add(message);
        }
        Map<String, Object> bindings = new HashMap<>();
        bindings.put("messages", list);
        bindings.put("bos_token", bosToken);
        bindings.put("eos_token", eosToken);
        bindings.put("add_generation_prompt", addGenerationPrompt);
        RenderResult result;
        try {
            result = jinjava.renderForResult(jinjaSource, bindings);
        } catch (RuntimeException e) {
            throw failure(e.getMessage());
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL
                    || error.getReason() == TemplateError.ErrorReason.SYNTAX_ERROR) {
                throw failure(reason(error));
            }
        }
        return result.getOutput();
    }

    /** llama.cpp's workaround for templates without a system role: system text goes before the next user message. */
    private static List<ChatMessage> withoutSystemRole(List<ChatMessage> messages) {
        List<ChatMessage> out = new ArrayList<>();
        StringBuilder pending = null;
        for (ChatMessage m : messages) {
            if (m.role().equals("system")) {
                pending = pending == null ? new StringBuilder(m.content()) : pending.append('\n').append(m.content());
            } else if (m.role().equals("user") && pending != null) {
                out.add(new ChatMessage("user", pending + "\n" + m.content()));
                pending = null;
            } else {
                out.add(m);
            }
        }
        if (pending != null) {
            out.add(new ChatMessage("user", pending.toString()));
        }
        return out;
    }

    /** As llama.cpp finds out: a system message whose text shows in the rendering is supported. */
    private boolean probeSystemRole() {
        try {
            return renderRaw(List.of(new ChatMessage("system", SYSTEM_NEEDLE), new ChatMessage("user", "Hey")), false)
                    .contains(SYSTEM_NEEDLE);
        } catch (ChatTemplateException e) {
            return false;
        }
    }

    private ChatTemplateException failure(String reason) {
        return new ChatTemplateException("the chat template of model " + (modelName == null ? "(unnamed)" : "\"" + modelName + "\"")
                + " cannot render these messages: " + reason);
    }

    /** The template's own words for a raise_exception, else Jinjava's message with its line. */
    private static String reason(TemplateError error) {
        for (Throwable t = error.getException(); t != null; t = t.getCause()) {
            if (t instanceof TemplateFunctions.Raised raised) {
                return raised.getMessage();
            }
        }
        String message = error.getMessage();
        return error.getLineno() > 0 ? message + " (line " + error.getLineno() + ")" : message;
    }

    @Override
    public String toString() {
        return "ChatTemplate[" + (fromModel ? "model " + modelName : "ChatML stand-in") + "]";
    }
}
