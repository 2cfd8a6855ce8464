package io.llmswarm.tokenizer;

/** The token types of GGUF's {@code tokenizer.ggml.token_type} array, as llama.cpp numbers them. */
public final class TokenType {
    public static final int UNDEFINED = 0;
    public static final int NORMAL = 1;
    public static final int UNKNOWN = 2;
    public static final int CONTROL = 3;
    public static final int USER_DEFINED = 4;
    public static final int UNUSED = 5;
    public static final int BYTE = 6;

    private TokenType() {
    }

    /** Tokens that llama.cpp looks for in the text before tokenizing it (its "special tokens cache"). */
    static boolean isSpecial(int type) {
        return type == CONTROL || type == USER_DEFINED || type == UNKNOWN;
    }
}
