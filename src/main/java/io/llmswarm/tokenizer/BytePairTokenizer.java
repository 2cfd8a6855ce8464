package io.llmswarm.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * The {@code gpt2} tokenizer of llama.cpp (byte-level BPE): the text is split into words by the
 * pre-tokenizer, each word's UTF-8 bytes become GPT-2's byte characters, and neighbouring symbols
 * merge in the order of the merge list. Llama 3 first looks the whole word up ("ignore merges").
 */
final class BytePairTokenizer extends VocabularyTokenizer {
    /** Pre-tokenizers for which llama.cpp switches off the space clean-up of detokenization. */
    private static final Set<String> KEEP_SPACES = Set.of(
            "deepseek-llm", "deepseek-coder", "deepseek-v3", "command-r", "qwen2", "poro-chat", "viking",
            "tekken", "smollm", "chameleon");
    private static final Set<String> IGNORE_MERGES = Set.of("llama3", "llama-v3", "llama-bpe", "falcon3", "tekken");

    private final PreTokenizer preTokenizer;
    private final boolean ignoreMerges;
    private final MergeTable merges;
    private final int[] byteTokens = new int[256];

    BytePairTokenizer(Vocabulary vocabulary) {
        super(vocabulary, !KEEP_SPACES.contains(vocabulary.preTokenizer()));
        preTokenizer = PreTokenizer.forName(vocabulary.preTokenizer());
        ignoreMerges = IGNORE_MERGES.contains(vocabulary.preTokenizer());
        String[] mergeList = vocabulary.merges();
        merges = new MergeTable(mergeList.length);
        for (int rank = 0; rank < mergeList.length; rank++) {
            String merge = mergeList[rank];
            int space = merge.indexOf(' ', 1);
            if (space < 0) {
                throw new IllegalArgumentException("BPE merge " + rank + ": expected \"left right\", found \"" + merge + "\"");
            }
            Integer left = ids.get(merge.substring(0, space));
            Integer right = ids.get(merge.substring(space + 1));
            if (left != null && right != null) {
                Integer merged = ids.get(merge.substring(0, space) + merge.substring(space + 1));
                merges.put(left, right, rank, merged == null ? -1 : merged);
            }
        }
        for (int b = 0; b < 256; b++) {
            Integer id = ids.get(String.valueOf(ByteLevel.encode((byte) b)));
            byteTokens[b] = id == null ? -1 : id;
        }
    }

    @Override
    void encodeText(String text, IntList out) {
        int[] cps = text.codePoints().toArray();
        IntList ends = new IntList(cps.length / 3 + 2);
        preTokenizer.split(cps, ends);
        SymbolChain symbols = new SymbolChain();
        BigramQueue queue = new BigramQueue();
        int start = 0;
        for (int w = 0; w < ends.size(); w++) {
            int end = ends.get(w);
            byte[] word = new String(cps, start, end - start).getBytes(StandardCharsets.UTF_8);
            start = end;
            encodeWord(word, symbols, queue, out);
        }
    }

    private void encodeWord(byte[] word, SymbolChain symbols, BigramQueue queue, IntList out) {
        if (ignoreMerges) {
            Integer whole = ids.get(byteLevelText(word));
            if (whole != null) {
                out.add(whole);
                return;
            }
        }
        symbols.clear();
        queue.clear();
        for (int i = 0; i < word.length; i++) {
            symbols.add(i, 1, byteTokens[word[i] & 0xFF]);
        }
        for (int i = 1; i < symbols.size; i++) {
            addBigram(symbols, queue, i - 1, i);
        }
        while (!queue.isEmpty()) {
            int entry = queue.pop();
            int left = queue.left(entry);
            int right = queue.right(entry);
            if (symbols.length[left] != queue.leftLength(entry) || symbols.length[right] != queue.rightLength(entry)) {
                continue; // outdated: one side has merged since
            }
            long merge = merges.get(symbols.id[left], symbols.id[right]);
            symbols.merge(left, right, MergeTable.mergedId(merge));
            addBigram(symbols, queue, symbols.prev[left], left);
            addBigram(symbols, queue, left, symbols.next[left]);
        }
        for (int i = 0; i != -1; i = symbols.next[i]) {
            int id = symbols.id[i];
            if (id >= 0) {
                out.add(id);
                continue;
            }
            for (int b = symbols.start[i]; b < symbols.start[i] + symbols.length[i]; b++) {
                int byteToken = byteTokens[word[b] & 0xFF];
                if (byteToken >= 0) {
                    out.add(byteToken);
                }
            }
        }
    }

    private void addBigram(SymbolChain symbols, BigramQueue queue, int left, int right) {
        if (left == -1 || right == -1 || symbols.id[left] < 0 || symbols.id[right] < 0) {
            return;
        }
        long merge = merges.get(symbols.id[left], symbols.id[right]);
        if (merge >= 0) {
            queue.push(MergeTable.rank(merge), left, right, symbols.length[left], symbols.length[right]);
        }
    }

    private static String byteLevelText(byte[] word) {
        char[] chars = new char[word.length];
        for (int i = 0; i < word.length; i++) {
            chars[i] = ByteLevel.encode(word[i]);
        }
        return new String(chars);
    }

    @Override
    byte[] normalPiece(String text) {
        return ByteLevel.decode(text);
    }
}
