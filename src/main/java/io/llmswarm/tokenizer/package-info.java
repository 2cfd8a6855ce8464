/**
 * Tokenizers read from GGUF metadata that give exactly llama.cpp's (b4916) token ids:
 * {@link io.llmswarm.tokenizer.Vocabulary#fromGguf} then {@link io.llmswarm.tokenizer.Tokenizer#of}.
 * SentencePiece ({@code llama}) and byte-level BPE ({@code gpt2}, with the Llama 3, Qwen2 and GPT-2
 * pre-tokenizers), incremental detokenization ({@link io.llmswarm.tokenizer.StreamingDecoder}) and
 * the chat prompt formats of the common model families ({@link io.llmswarm.tokenizer.ChatTemplate}).
 */
package io.llmswarm.tokenizer;
