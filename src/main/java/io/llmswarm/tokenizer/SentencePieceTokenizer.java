package io.llmswarm.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * The {@code llama} tokenizer of llama.cpp (SentencePiece BPE): spaces become '▁', a space is put
 * in front of the text and after every special token, then neighbouring symbols merge, highest
 * scoring token first, and characters without a token fall back to their UTF-8 bytes {@code <0xNN>}.
 */
final class SentencePieceTokenizer extends VocabularyTokenizer {
    private static final char ESCAPED_SPACE = '\u2581';

    /** Merge priority per token: the sortable bits of its negated score, so that a higher score pops first. */
    private final int[] priorities;
    private final int[] byteTokens = new int[256];

    SentencePieceTokenizer(Vocabulary vocabulary) {
        super(vocabulary, false);
        priorities = new int[texts.length];
        for (int id = 0; id < texts.length; id++) {
            float negated = vocabulary.score(id) == 0f ? 0f : -vocabulary.score(id);
            int bits = Float.floatToIntBits(negated);
            priorities[id] = bits < 0 ? bits ^ 0x7FFFFFFF : bits;
        }
        for (int b = 0; b < 256; b++) {
            Integer id = ids.get("<0x%02X>".formatted(b));
            if (id == null) {
                id = ids.get(new String(new byte[] {(byte) b}, StandardCharsets.ISO_8859_1));
            }
            byteTokens[b] = id == null ? special.unknown() : id;
        }
    }

    @Override
    void encodeFragments(String text, IntList fragments, IntList out) {
        boolean afterSpecial = true; // the first fragment gets the space prefix too
        for (int f = 0; f < fragments.size(); f += 3) {
            int token = fragments.get(f);
            if (token >= 0) {
                out.add(token);
                afterSpecial = true;
                continue;
            }
            String raw = text.substring(fragments.get(f + 1), fragments.get(f + 2));
            encodeText(special.addSpacePrefix() && afterSpecial ? " " + raw : raw, out);
            afterSpecial = false;
        }
    }

    @Override
    void encodeText(String raw, IntList out) {
        String text = raw.replace(' ', ESCAPED_SPACE);
        SymbolChain symbols = new SymbolChain();
        for (int i = 0; i < text.length(); ) {
            int length = Character.charCount(text.codePointAt(i));
            symbols.add(i, length, -1);
            i += length;
        }
        BigramQueue queue = new BigramQueue();
        for (int i = 1; i < symbols.size; i++) {
            tryAddBigram(text, symbols, queue, i - 1, i);
        }
        while (!queue.isEmpty()) {
            int entry = queue.pop();
            int left = queue.left(entry);
            int right = queue.right(entry);
            if (symbols.length[left] != queue.leftLength(entry) || symbols.length[right] != queue.rightLength(entry)) {
                continue; // one of the two has merged since
            }
            symbols.merge(left, right, -1);
            tryAddBigram(text, symbols, queue, symbols.prev[left], left);
            tryAddBigram(text, symbols, queue, left, symbols.next[left]);
        }
        for (int i = 0; i != -1 && symbols.size > 0; i = symbols.next[i]) {
            resegment(text, symbols.start[i], symbols.length[i], out);
        }
    }

    private void tryAddBigram(String text, SymbolChain symbols, BigramQueue queue, int left, int right) {
        if (left == -1 || right == -1) {
            return;
        }
        int start = symbols.start[left];
        Integer id = ids.get(text.substring(start, start + symbols.length[left] + symbols.length[right]));
        if (id != null) {
            queue.push(priorities[id], left, right, symbols.length[left], symbols.length[right]);
        }
    }

    /** A final symbol is a token, or else (a character the vocabulary lacks) its bytes. */
    private void resegment(String text, int start, int length, IntList out) {
        String symbol = text.substring(start, start + length);
        Integer id = ids.get(symbol);
        if (id != null) {
            out.add(id);
            return;
        }
        for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
            out.add(byteTokens[b & 0xFF]);
        }
    }

    @Override
    byte[] normalPiece(String text) {
        return text.replace(ESCAPED_SPACE, ' ').getBytes(StandardCharsets.UTF_8);
    }
}
