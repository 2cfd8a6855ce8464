package io.llmswarm.gateway;

import io.llmswarm.tokenizer.ChatTemplate;

/**
 * What the OpenAI-compatible API says about the model this node serves: its name (the id in
 * {@code /v1/models}; its fingerprint is accepted as well) and the chat template its messages are
 * rendered with.
 */
public record ServedModel(String name, ChatTemplate chatTemplate) {
}
