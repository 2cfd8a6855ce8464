package io.llmswarm.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The prompt-cache benchmark, against a running node ({@code --url}), labelled {@code --label}:
 *
 * <ul>
 *   <li><b>repeat</b>: a ~400-token raw prompt, then the same prompt plus one line, through
 *       {@code /api/inference}; the server's time to first token of each, their ratio and the prompt
 *       tokens reused (metadata);</li>
 *   <li><b>conversation</b>: a 10-turn chat through {@code /v1/chat/completions} (streamed), each
 *       turn's user message ~40 tokens and answer up to 20, the whole history resent each turn as
 *       chat clients do; the client's time to the first content chunk per turn and the cached
 *       tokens the usage reports.</li>
 * </ul>
 * Prints markdown table rows: {@code | label | scenario | ... |}. Greedy, so every run sends the
 * same tokens. Not a test: {@code java -cp <test classpath> io.llmswarm.bench.PrefixTool --url URL --label L}.
 */
public final class PrefixTool {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final String[] TOPICS = {"river", "mill", "market", "harbour", "orchard", "bridge", "library",
        "forest", "station", "garden"};

    private PrefixTool() {
    }

    public static void main(String[] args) throws Exception {
        String url = "http://127.0.0.1:8190";
        String label = "node";
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--url" -> url = args[i + 1];
                case "--label" -> label = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        repeat(url, label);
        conversation(url, label);
    }

    /** About 400 tokens of plain sentences, different for each {@code seed}. */
    static String longPrompt(int seed) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 1300; i++) {
            String topic = TOPICS[(i + seed) % TOPICS.length];
            text.append("On day ").append(i + 1).append(" the people of the town walked to the ").append(topic)
                    .append(" and talked about the weather, the harvest and the news from the coast. ");
        }
        return text.toString();
    }

    private static void repeat(String url, String label) throws Exception {
        String prompt = longPrompt(3);
        JsonObject first = inference(url, prompt);
        JsonObject second = inference(url, prompt + "\nAnd then one more line came after all of that.");
        double a = first.getJsonObject("metadata").getDouble("time_to_first_token_ms");
        double b = second.getJsonObject("metadata").getDouble("time_to_first_token_ms");
        System.out.printf(Locale.ROOT, "| %s | repeat: 1st / 2nd (+1 line) | %d / %d tokens | %.0f / %.0f ms | %.2fx | %d |%n",
                label, first.getInteger("prompt_tokens"), second.getInteger("prompt_tokens"), a, b, b / a,
                second.getJsonObject("metadata").getInteger("prompt_tokens_reused"));
    }

    private static JsonObject inference(String url, String prompt) throws Exception {
        JsonObject body = new JsonObject().put("prompt", prompt).put("raw", true).put("max_tokens", 4)
                .put("temperature", 0);
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/api/inference"))
                .timeout(Duration.ofMinutes(5)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("/api/inference answered " + response.statusCode() + ": " + response.body());
        }
        return new JsonObject(response.body());
    }

    private static void conversation(String url, String label) throws Exception {
        JsonArray messages = new JsonArray();
        List<String> ttft = new ArrayList<>();
        List<String> cached = new ArrayList<>();
        double firstTurn = 0;
        double lastTurn = 0;
        int promptTokens = 0;
        for (int turn = 1; turn <= 10; turn++) {
            String topic = TOPICS[turn % TOPICS.length];
            messages.add(new JsonObject().put("role", "user").put("content", "Question " + turn + ": tell me about the "
                    + topic + " in the town, who goes there in the morning, what they carry with them and why it matters"
                    + " to the people who live near the " + topic + "."));
            Turn answer = chat(url, messages);
            messages.add(new JsonObject().put("role", "assistant").put("content", answer.text()));
            ttft.add(String.format(Locale.ROOT, "%.0f", answer.ttftMillis()));
            cached.add(Integer.toString(answer.cachedTokens()));
            if (turn == 1) {
                firstTurn = answer.ttftMillis();
            }
            lastTurn = answer.ttftMillis();
            promptTokens = answer.promptTokens();
        }
        System.out.printf(Locale.ROOT, "| %s | 10-turn chat: TTFT ms per turn | turn 10: %d tokens | %s | %.2fx | %s |%n",
                label, promptTokens, String.join(", ", ttft), lastTurn / firstTurn, String.join(", ", cached));
    }

    private record Turn(String text, double ttftMillis, int promptTokens, int cachedTokens) { }

    private static Turn chat(String url, JsonArray messages) throws Exception {
        JsonObject body = new JsonObject().put("model", "any").put("messages", messages).put("max_tokens", 20)
                .put("temperature", 0).put("stream", true)
                .put("stream_options", new JsonObject().put("include_usage", true));
        long start = System.nanoTime();
        HttpResponse<InputStream> response = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions"))
                .timeout(Duration.ofMinutes(5)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("/v1/chat/completions answered " + response.statusCode() + ": "
                    + new String(response.body().readAllBytes(), StandardCharsets.UTF_8));
        }
        StringBuilder text = new StringBuilder();
        double ttft = -1;
        int prompt = 0;
        int cachedTokens = 0;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
                    continue;
                }
                JsonObject chunk = new JsonObject(line.substring(6));
                JsonArray choices = chunk.getJsonArray("choices");
                if (choices != null && !choices.isEmpty()) {
                    String piece = choices.getJsonObject(0).getJsonObject("delta", new JsonObject()).getString("content");
                    if (piece != null && !piece.isEmpty()) {
                        if (ttft < 0) {
                            ttft = (System.nanoTime() - start) / 1e6;
                        }
                        text.append(piece);
                    }
                }
                JsonObject usage = chunk.getJsonObject("usage");
                if (usage != null) {
                    prompt = usage.getInteger("prompt_tokens");
                    JsonObject details = usage.getJsonObject("prompt_tokens_details");
                    cachedTokens = details == null ? 0 : details.getInteger("cached_tokens", 0);
                }
            }
        }
        return new Turn(text.toString(), ttft < 0 ? (System.nanoTime() - start) / 1e6 : ttft, prompt, cachedTokens);
    }
}
