package io.llmswarm.bench;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What one {@code generate --json} run reports, as the one JSON line the command prints.
 *
 * @param promptTokens          the prompt's token ids, BOS included where the model adds it
 * @param tokens                the generated token ids
 * @param text                  the generated text
 * @param timeToFirstTokenMs    from the request to the first generated token
 * @param promptTokensPerSecond prompt tokens over the time to the first token
 * @param decodeTokensPerSecond tokens after the first over the time they took
 * @param peakRssMib            the process's peak resident memory ({@code VmHWM})
 * @param engine                what ran, where the child says (llama.cpp-current names its llama.cpp
 *                              release and the CPU variant it loaded); null where it does not
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record GenerationResult(
        @JsonProperty("prompt_tokens") int[] promptTokens,
        @JsonProperty("tokens") int[] tokens,
        @JsonProperty("text") String text,
        @JsonProperty("time_to_first_token_ms") double timeToFirstTokenMs,
        @JsonProperty("prompt_tokens_per_second") double promptTokensPerSecond,
        @JsonProperty("decode_tokens_per_second") double decodeTokensPerSecond,
        @JsonProperty("peak_rss_mib") double peakRssMib,
        @JsonProperty("engine") String engine) {

    /** A result whose child does not say what engine ran. */
    public GenerationResult(int[] promptTokens, int[] tokens, String text, double timeToFirstTokenMs,
                            double promptTokensPerSecond, double decodeTokensPerSecond, double peakRssMib) {
        this(promptTokens, tokens, text, timeToFirstTokenMs, promptTokensPerSecond, decodeTokensPerSecond, peakRssMib, null);
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a generation result as JSON", e);
        }
    }

    /** Reads the JSON line of {@code generate --json}; {@code source} names where it came from. */
    public static GenerationResult fromJson(String line, String source) {
        try {
            GenerationResult result = JSON.readValue(line, GenerationResult.class);
            if (result.promptTokens() == null || result.tokens() == null) {
                throw new IllegalArgumentException(source + ": expected prompt_tokens and tokens arrays in " + line);
            }
            return result;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + ": expected one JSON object of a generation, found: " + line, e);
        }
    }
}
