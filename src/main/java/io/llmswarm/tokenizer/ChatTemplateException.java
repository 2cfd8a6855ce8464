package io.llmswarm.tokenizer;

/**
 * A chat template that cannot render a conversation: a template error, or the template's own
 * {@code raise_exception} (for example "Conversation roles must alternate user/assistant/..."). The
 * message names the model. An IllegalArgumentException, as it is most often the messages' fault.
 */
public final class ChatTemplateException extends IllegalArgumentException {
    public ChatTemplateException(String message) {
        super(message);
    }
}
