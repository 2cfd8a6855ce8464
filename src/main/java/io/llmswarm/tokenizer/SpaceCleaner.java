package io.llmswarm.tokenizer;

/**
 * llama.cpp's {@code clean_spaces} step of detokenization for BPE vocabularies (HF's
 * clean_up_tokenization_spaces): drop the space before "?!.,", around a lone apostrophe, and
 * before the contractions 's 'm 're 've. Works in place on UTF-8 bytes (all characters involved
 * are ASCII) and returns the new length.
 */
final class SpaceCleaner {
    private SpaceCleaner() {
    }

    static int clean(byte[] text) {
        int total = dropSpaceBeforePunctuation(text, text.length);
        total = dropSpacesAroundApostrophe(text, total);
        return dropSpaceBeforeContractions(text, total);
    }

    private static int dropSpaceBeforePunctuation(byte[] text, int length) {
        int total = length > 0 ? 1 : 0;
        for (int i = 1; i < length; i++) {
            byte x = text[i];
            if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) {
                total--;
            }
            text[total++] = x;
        }
        return total;
    }

    private static int dropSpacesAroundApostrophe(byte[] text, int length) {
        int total = length > 0 ? 1 : 0;
        for (int i = 1; i < length; i++) {
            byte x = text[i];
            if (x == '\'' && i + 1 < length && text[i - 1] == ' ' && text[i + 1] == ' ') {
                total--;           // the space before
                text[++i] = 0;     // and the one after, which the loop then steps over
            }
            text[total++] = x;
        }
        return total;
    }

    private static int dropSpaceBeforeContractions(byte[] text, int length) {
        int total = length > 0 ? 1 : 0;
        for (int i = 1; i < length; i++) {
            byte x = text[i];
            if (text[i - 1] == ' ' && x == '\'' && i + 1 < length) {
                byte x1 = text[i + 1];
                if (x1 == 's' || x1 == 'm') {
                    total--;
                } else if (x1 != 't' && x1 != 'd' && i + 2 < length) {
                    byte x2 = text[i + 2];
                    if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) {
                        total--;
                    }
                }
            }
            text[total++] = x;
        }
        return total;
    }
}
