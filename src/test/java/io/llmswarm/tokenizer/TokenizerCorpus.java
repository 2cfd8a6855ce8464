package io.llmswarm.tokenizer;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/** Varied test strings: whitespace runs, edges, newlines and tabs, scripts, emoji, code, numbers, special-token text. */
final class TokenizerCorpus {
    private static final String[] BASE = {
        "", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n ", "\t\t\n  \n",
        "Hello world", "hello world", "Hello World!", " Hello", "  Hello", "Hello ", "Hello  ", "   Hello   world   ",
        "Hello\nworld", "Hello\n\nworld", "Hello \n world", "line one\nline two\r\nline three\n",
        "tab\tseparated\tvalues", "\tindented", "    four spaces", "a  b   c    d     e",
        "The quick brown fox jumps over the lazy dog.", "I'm sure you're right; it's what we'd've done.",
        "DON'T SHOUT, I'LL LISTEN", "'s 't 're 've 'm 'll 'd", "can't won't shouldn't",
        "1", "12", "123", "1234", "12345", "1234567890", "3.14159", "-42", "1,000,000", "2024-05-17", "0x1F", "v1.2.3",
        "Numbers 1 22 333 4444 55555 inline", "a1b2c3", "Room 101",
        "Grüße aus München", "naïve café résumé", "Ελληνικά γράμματα", "Русский текст здесь", "עברית", "العربية",
        "हिन्दी भाषा", "ไทย", "한국어 텍스트", "日本語のテキストです。", "中文测试，你好世界！", "我爱北京天安门",
        "混合 text 和 English", "ｆｕｌｌｗｉｄｔｈ", "ℕ ∑ ∫ ≠ ≤ ∞", "€100 £50 ¥1000 ₹", "°C µs Ω", "© ® ™",
        "😀", "😀😃😄", "Hello 👋 world 🌍", "👨‍👩‍👧‍👦 family", "🇩🇪 flag", "✓ done ✗ failed", "→ ← ↑ ↓",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𐍈 gothic", "\u00a0non-breaking\u00a0space", "zero\u200bwidth", "e\u0301 combining",
        "ǅ titlecase", "ß ẞ", "İstanbul ı", "ﬁ ligature",
        "def hello():\n    print(\"Hello, world!\")\n", "for (int i = 0; i < n; i++) { sum += a[i]; }",
        "public static void main(String[] args) {}", "if (x == y && z != w) return;", "<div class=\"a\">text</div>",
        "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}", "SELECT * FROM users WHERE id = 42;",
        "x = y ** 2 // 3 % 4", "#include <stdio.h>", "path/to/file.txt", "https://example.com/a?b=c&d=e#f",
        "user@example.com", "$HOME ~/dir ../up", "a_b-c.d:e;f", "!!!???...", "...", "---", "***", "~~~", "@@@",
        "(((nested)))", "[brackets] {braces} <angles>", "\"quoted\" 'single'", "`backticks`", "a|b\\c/d",
        "<s>", "</s>", "<unk>", "<s> hello </s>", "Hi <s>there</s>!", "<s><s></s>", "text<s>", "<s>text",
        "[INST] What is 2+2? [/INST]", "<<SYS>>\nYou are helpful.\n<</SYS>>",
        "<|user|>\nHello</s>\n<|assistant|>\n", "<|im_start|>user\nHi<|im_end|>",
        "<|begin_of_text|>", "<|eot_id|>", "<|begin_of_text|>Hello", "Hello<|eot_id|>", "a<|eot_id|>b<|eot_id|>c",
        "<|start_header_id|>user<|end_header_id|>\n\nWhat's up?<|eot_id|>", "<|reserved_special_token_5|>",
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>assistant\n", "<think>\nreasoning\n</think>\n\nanswer",
        "<tool_call>{\"name\": \"f\"}</tool_call>", "<|endoftext|>", "<|fim_prefix|>def f():<|fim_suffix|>\n<|fim_middle|>",
        "<|not_a_token|>", "<|eot_id", "eot_id|>", "< |eot_id| >",
        "\u0000", "\u0001\u0002", "\u007f", "\ufffd", "\ufeffBOM",
        "ÅÄÖ åäö", "ñ Ñ", "ç Ç", "Ōtsuki", "Ærø", "Łódź",
        "Supercalifragilisticexpialidocious", "antidisestablishmentarianism", "pneumonoultramicroscopicsilicovolcanoconiosis",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "ababababababababab", "                                ", "\n\n\n\n\n\n",
        "word\n\n\n\nword", " \t \t ", "end with newline\n", "\nstart with newline", " both ",
    };

    /** Pieces that random strings are glued from: the places where tokenizers tend to part ways. */
    private static final String[] PIECES = {
        "a", "Z", "the", " the", "Hello", "ing", "'s", "'T", "'ll", "'", "\"", " ", "  ", "\t", "\n", "\r\n", "\n\n",
        "0", "7", "42", "1234", ".", ",", "!", "?", "-", "_", "(", ")", "{", "}", "<", ">", "/", "\\", "#", "$", "%",
        "é", "ü", "ß", "ñ", "Ж", "λ", "日", "本", "中文", "한", "ไ", "ع", "€", "£", "°", "µ", "\u00a0", "\u3000", "\u200b",
        "😀", "🦙", "👍🏽", "🇯🇵", "𝔘", "½", "²", "Ⅻ", "<s>", "</s>", "<|eot_id|>", "<|im_end|>", "<think>", "<|endoftext|>",
    };

    private TokenizerCorpus() {
    }

    /** Strings glued together from random pieces (seeded, so every run compares the same ones). */
    static List<String> randomStrings(long seed, int count) {
        Random random = new Random(seed);
        List<String> strings = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            StringBuilder text = new StringBuilder();
            int pieces = 1 + random.nextInt(12);
            for (int p = 0; p < pieces; p++) {
                text.append(PIECES[random.nextInt(PIECES.length)]);
            }
            strings.add(text.toString());
        }
        return strings;
    }

    /** The base strings and variants of them with leading/trailing spaces and newlines (a few hundred). */
    static List<String> strings() {
        Set<String> all = new LinkedHashSet<>(List.of(BASE));
        for (int i = 0; i < BASE.length; i++) {
            String s = BASE[i];
            switch (i % 4) {
                case 0 -> all.add(" " + s);
                case 1 -> all.add(s + " ");
                case 2 -> all.add(s + "\n");
                default -> all.add("  " + s + "  ");
            }
            if (i % 3 == 0) {
                all.add(s + " " + BASE[(i * 7 + 3) % BASE.length]);
            }
        }
        return new ArrayList<>(all);
    }
}
