package io.llmswarm.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/** What both tokenizers share: the lookup tables, special tokens, end-of-generation set and decoding. */
abstract sealed class VocabularyTokenizer implements Tokenizer permits SentencePieceTokenizer, BytePairTokenizer {

    /** Token texts that llama.cpp treats as control tokens whatever their stored type (it overrides them). */
    private static final Set<String> CONTROL_LOOKING = Set.of(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>",
            "<｜end▁of▁sentence｜>", "<|eom_id|>",
            "<|fim_prefix|>", "<fim-prefix>", "<｜fim▁begin｜>", "<PRE>",
            "<|fim_suffix|>", "<fim-suffix>", "<｜fim▁hole｜>", "<SUF>",
            "<|fim_middle|>", "<fim-middle>", "<｜fim▁end｜>", "<MID>",
            "<|fim_pad|>", "<fim-pad>", "<PAD>",
            "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<|file_sep|>");

    /** Texts that end generation (llama.cpp b4916's list, plus the FIM pad/repo/separator tokens). */
    private static final Set<String> END_OF_GENERATION = Set.of(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>",
            "<|fim_pad|>", "<fim-pad>", "<PAD>", "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>",
            "<|file_sep|>");

    final Vocabulary vocabulary;
    final SpecialTokens special;
    final String[] texts;
    final int[] types;
    final Map<String, Integer> ids;
    final SpecialTokenSplitter splitter;
    private final boolean[] endOfGeneration;
    private final byte[][] pieces;
    private final boolean cleanSpaces;

    VocabularyTokenizer(Vocabulary vocabulary, boolean cleanSpaces) {
        this.vocabulary = vocabulary;
        this.special = vocabulary.specialTokens();
        this.texts = vocabulary.tokens();
        this.cleanSpaces = cleanSpaces;
        int n = texts.length;
        this.types = new int[n];
        this.ids = HashMap.newHashMap(n);
        this.endOfGeneration = new boolean[n];
        for (int id = 0; id < n; id++) {
            ids.put(texts[id], id); // a later duplicate wins, as in llama.cpp's map
            types[id] = CONTROL_LOOKING.contains(texts[id]) ? TokenType.CONTROL : vocabulary.tokenType(id);
            endOfGeneration[id] = END_OF_GENERATION.contains(texts[id]);
        }
        if (special.eos() >= 0 && special.eos() < n) {
            endOfGeneration[special.eos()] = true;
        }
        int[] specials = IntStream.range(0, n).filter(id -> TokenType.isSpecial(types[id])).boxed()
                .sorted(Comparator.comparingInt((Integer id) -> -texts[id].length()))
                .mapToInt(Integer::intValue).toArray();
        this.splitter = new SpecialTokenSplitter(texts, types, specials);
        this.pieces = new byte[n][];
        for (int id = 0; id < n; id++) {
            pieces[id] = switch (types[id]) {
                case TokenType.CONTROL, TokenType.UNKNOWN, TokenType.USER_DEFINED ->
                        texts[id].getBytes(StandardCharsets.UTF_8);
                case TokenType.NORMAL -> normalPiece(texts[id]);
                case TokenType.BYTE -> bytePiece(texts[id]);
                default -> new byte[0];
            };
        }
    }

    /** The bytes a normal token stands for. */
    abstract byte[] normalPiece(String text);

    /** Appends the ids of one fragment of plain text (no special tokens in it). */
    abstract void encodeText(String text, IntList out);

    /** The tokens SentencePiece writes for one byte it has no token for. */
    byte[] bytePiece(String text) {
        if (text.length() == 6 && text.startsWith("<0x") && text.endsWith(">")) {
            return new byte[] {(byte) Integer.parseInt(text.substring(3, 5), 16)};
        }
        return normalPiece(text);
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        IntList fragments = splitter.split(text, parseSpecial);
        IntList out = new IntList(text.length() / 3 + 4);
        if (addBos && special.addBos() && special.bos() >= 0) {
            out.add(special.bos());
        }
        encodeFragments(text, fragments, out);
        if (addBos && special.addEos() && special.eos() >= 0) {
            out.add(special.eos());
        }
        return out.toArray();
    }

    void encodeFragments(String text, IntList fragments, IntList out) {
        for (int f = 0; f < fragments.size(); f += 3) {
            int token = fragments.get(f);
            if (token >= 0) {
                out.add(token);
            } else {
                encodeText(text.substring(fragments.get(f + 1), fragments.get(f + 2)), out);
            }
        }
    }

    /** The bytes of a token as llama.cpp's {@code token_to_piece} gives them. */
    byte[] pieceBytes(int id, boolean renderSpecial) {
        checkId(id);
        if (!renderSpecial && (types[id] == TokenType.CONTROL || types[id] == TokenType.UNKNOWN)) {
            return new byte[0];
        }
        return pieces[id];
    }

    private void checkId(int id) {
        if (id < 0 || id >= texts.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (0.." + (texts.length - 1) + ")");
        }
    }

    @Override
    public String decode(int[] tokenIds) {
        ByteBuffer text = new ByteBuffer();
        boolean removeSpace = special.addSpacePrefix();
        for (int id : tokenIds) {
            byte[] piece = pieceBytes(id, false);
            int skip = removeSpace && piece.length > 0 && piece[0] == ' ' ? 1 : 0;
            removeSpace = false;
            text.append(piece, skip, piece.length - skip);
        }
        byte[] bytes = text.toArray();
        int length = cleanSpaces ? SpaceCleaner.clean(bytes) : bytes.length;
        return new String(bytes, 0, length, StandardCharsets.UTF_8);
    }

    @Override
    public String tokenPiece(int id) {
        return new String(pieceBytes(id, true), StandardCharsets.UTF_8);
    }

    @Override
    public byte[] tokenBytes(int id) {
        return pieceBytes(id, true).clone();
    }

    @Override
    public int bos() {
        return special.bos();
    }

    @Override
    public int eos() {
        return special.eos();
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return id >= 0 && id < endOfGeneration.length && endOfGeneration[id];
    }

    @Override
    public int vocabularySize() {
        return texts.length;
    }

    @Override
    public StreamingDecoder streamingDecoder() {
        return new StreamingDecoder(this);
    }

    /** A growable byte array. */
    static final class ByteBuffer {
        private byte[] bytes = new byte[64];
        private int size;

        void append(byte[] source, int offset, int length) {
            if (size + length > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + length));
            }
            System.arraycopy(source, offset, bytes, size, length);
            size += length;
        }

        byte[] toArray() {
            return Arrays.copyOf(bytes, size);
        }
    }
}
