package io.llmswarm.tokenizer;

/**
 * Cuts the text at the special tokens found in it, the way llama.cpp's
 * {@code tokenizer_st_partition} does: one special token after another, longest text first, each
 * splitting every text fragment left so far. Fragments are stored as triples
 * (token id or -1 for text, start, end) in chars of the input.
 */
final class SpecialTokenSplitter {
    private final String[] texts;
    private final int[] types;
    private final int[] longestFirst;

    SpecialTokenSplitter(String[] texts, int[] types, int[] longestFirst) {
        this.texts = texts;
        this.types = types;
        this.longestFirst = longestFirst;
    }

    IntList split(String text, boolean parseSpecial) {
        IntList fragments = new IntList(8);
        if (text.isEmpty()) {
            return fragments;
        }
        fragments.add(-1);
        fragments.add(0);
        fragments.add(text.length());
        for (int id : longestFirst) {
            if (!parseSpecial && types[id] != TokenType.USER_DEFINED) {
                continue; // without parseSpecial only user-defined tokens are matched
            }
            String special = texts[id];
            if (special.isEmpty() || !text.contains(special)) {
                continue;
            }
            fragments = splitAll(text, id, special, fragments);
        }
        return fragments;
    }

    private static IntList splitAll(String text, int id, String special, IntList fragments) {
        IntList result = new IntList(fragments.size() + 6);
        for (int f = 0; f < fragments.size(); f += 3) {
            int token = fragments.get(f);
            int start = fragments.get(f + 1);
            int end = fragments.get(f + 2);
            if (token >= 0) {
                add(result, token, start, end);
                continue;
            }
            int position = start;
            while (true) {
                int match = text.indexOf(special, position);
                if (match < 0 || match + special.length() > end) {
                    break;
                }
                if (match > position) {
                    add(result, -1, position, match);
                }
                add(result, id, match, match + special.length());
                position = match + special.length();
            }
            if (position < end) {
                add(result, -1, position, end);
            }
        }
        return result;
    }

    private static void add(IntList fragments, int token, int start, int end) {
        fragments.add(token);
        fragments.add(start);
        fragments.add(end);
    }
}
