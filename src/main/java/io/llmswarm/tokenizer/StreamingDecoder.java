package io.llmswarm.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns generated token ids into text as they arrive. Pieces are llama.cpp's
 * {@code token_to_piece} (control tokens give nothing), and text is released only up to the last
 * complete UTF-8 character, so a character spread over byte tokens such as
 * {@code <0xE2><0x82><0xAC>} comes out once, whole ("€").
 *
 * <p>This is the one detokenizer of generated text, for the CLI, the HTTP API, Server-Sent Events,
 * the OpenAI API and the bridge alike: like llama.cpp's server and {@code llama-cli}, it gives each
 * piece as it is, keeping the space a SentencePiece word starts with, the first piece's included
 * (" Tochter", not "Tochter"). Only {@link Tokenizer#decode}, which reads a whole text back as
 * {@code llama_detokenize} does, drops that first space.
 */
public final class StreamingDecoder {
    private final VocabularyTokenizer tokenizer;
    private byte[] pending = new byte[16];
    private int pendingLength;

    StreamingDecoder(VocabularyTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Feeds one token; returns the text that became complete (often "", never half a character). */
    public String accept(int id) {
        append(tokenizer.pieceBytes(id, false), 0);
        int complete = completeLength();
        if (complete == 0) {
            return "";
        }
        String text = new String(pending, 0, complete, StandardCharsets.UTF_8);
        System.arraycopy(pending, complete, pending, 0, pendingLength - complete);
        pendingLength -= complete;
        return text;
    }

    /** Returns what is still held back (an unfinished character, as U+FFFD) and empties the decoder. */
    public String flush() {
        String text = new String(pending, 0, pendingLength, StandardCharsets.UTF_8);
        pendingLength = 0;
        return text;
    }

    /** True while bytes of an unfinished character are held back. */
    public boolean hasPending() {
        return pendingLength > 0;
    }

    private void append(byte[] piece, int skip) {
        int length = piece.length - skip;
        if (pendingLength + length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + length));
        }
        System.arraycopy(piece, skip, pending, pendingLength, length);
        pendingLength += length;
    }

    /** The length of the prefix that ends on a character boundary; broken bytes count as complete. */
    private int completeLength() {
        int i = 0;
        while (i < pendingLength) {
            int lead = pending[i] & 0xFF;
            int need = lead < 0x80 ? 1 : lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3
                    : lead >= 0xF0 && lead <= 0xF4 ? 4 : 1;
            if (i + need > pendingLength) {
                for (int j = i + 1; j < pendingLength; j++) {
                    if ((pending[j] & 0xC0) != 0x80) {
                        return pendingLength; // not a character in the making: let the decoder replace it
                    }
                }
                return i;
            }
            i += need;
        }
        return i;
    }
}
