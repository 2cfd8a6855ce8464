/**
 * Tokenizers read from GGUF metadata that give exactly llama.cpp's (b4916) token ids:
 * {@link io.llmswarm.tokenizer.Vocabulary#fromGguf} then {@link io.llmswarm.tokenizer.Tokenizer#of}.
 * SentencePiece ({@code llama}) and byte-level BPE ({@code gpt2}, with the Llama 3, Qwen2 and GPT-2
 * pre-tokenizers), the one detokenizer of generated text ({@link io.llmswarm.tokenizer.StreamingDecoder})
 * and each model's own Jinja chat template rendered as llama.cpp renders it
 * ({@link io.llmswarm.tokenizer.ChatTemplate}).
 */
package io.llmswarm.tokenizer;
