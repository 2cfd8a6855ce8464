package io.llmswarm.tokenizer;

import io.llmswarm.gguf.GgufMetadata;

import java.nio.charset.StandardCharsets;

/**
 * Text to token ids and back, exactly as llama.cpp does it for the same vocabulary. Instances are
 * immutable and safe to share between threads; {@link StreamingDecoder}s are not.
 */
public interface Tokenizer {

    /**
     * @param addBos       add the BOS (and EOS) tokens where the vocabulary asks for them
     *                     (llama.cpp's {@code add_special})
     * @param parseSpecial recognise the text of control tokens such as {@code <s>} or
     *                     {@code <|eot_id|>} in the text (user-defined tokens are always recognised)
     */
    int[] encode(String text, boolean addBos, boolean parseSpecial);

    /** The text of these tokens, like llama.cpp's {@code llama_detokenize} without special tokens. */
    String decode(int[] ids);

    /** The text one token stands for; control tokens give their own text. */
    String tokenPiece(int id);

    /**
     * The bytes one token stands for, as {@link #tokenPiece} before it becomes text: a byte token
     * such as {@code <0xE2>} gives its one byte, which alone is no complete UTF-8 character.
     */
    default byte[] tokenBytes(int id) {
        return tokenPiece(id).getBytes(StandardCharsets.UTF_8);
    }

    int bos();

    int eos();

    /** True for EOS and the tokens llama.cpp ends generation on ({@code <|eot_id|>}, {@code <|im_end|>}, ...). */
    boolean isEndOfGeneration(int id);

    int vocabularySize();

    /**
     * The decoder of one stream of generated tokens, used wherever generated text is shown; it never
     * splits a UTF-8 character and, like llama.cpp's server and CLI, keeps the leading space of the
     * first piece.
     */
    StreamingDecoder streamingDecoder();

    static Tokenizer of(Vocabulary vocabulary) {
        return switch (vocabulary.model()) {
            case Vocabulary.SENTENCE_PIECE -> new SentencePieceTokenizer(vocabulary);
            case Vocabulary.BYTE_PAIR -> new BytePairTokenizer(vocabulary);
            default -> throw new IllegalArgumentException("unsupported tokenizer model: " + vocabulary.model());
        };
    }

    /** The tokenizer of a GGUF file, as llama.cpp would build it from the same metadata. */
    static Tokenizer of(GgufMetadata metadata) {
        return of(Vocabulary.fromGguf(metadata));
    }
}
