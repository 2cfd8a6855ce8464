package io.llmswarm.gateway;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Seeded malformed requests for the gateway: each is a valid request with one thing broken for
 * certain (a body that is not a JSON object, a field of the wrong type or out of range, a huge
 * number, invalid UTF-8, too deep a nesting), so every one must be refused with a 4xx.
 */
final class MalformedRequests {

    /** One request: where it goes, its body, and a header or two. */
    record Request(String path, byte[] body, List<String> headers) {
    }

    static final List<String> PATHS = List.of("/api/inference", "/v1/completions", "/v1/chat/completions");

    private static final Object[] NOT_A_NUMBER = {"ten", true, new JsonArray().add(1), new JsonObject().put("a", 1)};
    private static final Object[] HUGE = {Long.MAX_VALUE, 4294967297L, -4294967297L, new BigInteger("1" + "0".repeat(40)),
            1e308, -1e308, 3.5};
    private static final String[] FIELDS = {"max_tokens", "temperature", "top_p", "top_k", "min_p", "repeat_penalty",
            "repeat_last_n", "seed", "stop", "stream", "ignore_eos", "top_logprobs"};
    /** The OpenAI API's own fields; others it ignores, as OpenAI does. */
    private static final String[] OPENAI_FIELDS = {"max_tokens", "temperature", "top_p", "seed", "stop", "stream", "n",
            "max_completion_tokens"};

    private final Random random;

    MalformedRequests(long seed) {
        this.random = new Random(seed);
    }

    Request next() {
        String path = PATHS.get(random.nextInt(PATHS.size()));
        JsonObject base = path.endsWith("chat/completions")
                ? new JsonObject().put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Hi")))
                .put("max_tokens", 2)
                : new JsonObject().put("prompt", "Hello").put("max_tokens", 2);
        List<String> headers = randomHeaders();
        byte[] body = switch (random.nextInt(10)) {
            case 0 -> randomBytes(random.nextInt(200));
            case 1 -> invalidUtf8(base);
            case 2 -> notAnObject().getBytes(StandardCharsets.UTF_8);
            case 3 -> deepNesting().getBytes(StandardCharsets.UTF_8);
            case 4 -> truncated(base);
            case 5 -> withBadPrompt(base, path).encode().getBytes(StandardCharsets.UTF_8);
            case 6 -> hugeDigits(base, path);
            default -> withBadField(base, path.startsWith("/v1/") ? OPENAI_FIELDS : FIELDS).encode().getBytes(StandardCharsets.UTF_8);
        };
        return new Request(path, body, headers);
    }

    private byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        if (n > 0 && bytes[0] == '{') {
            bytes[0] = '[';
        }
        return bytes;
    }

    private byte[] invalidUtf8(JsonObject base) {
        byte[] json = base.copy().put("prompt", "HelloXX").encode().getBytes(StandardCharsets.UTF_8);
        String text = new String(json, StandardCharsets.ISO_8859_1);
        int at = text.indexOf("XX");
        byte[][] bad = {{(byte) 0xC3, (byte) 0x28}, {(byte) 0xFF, (byte) 0xFE}, {(byte) 0xED, (byte) 0xA0},
                {(byte) 0xF8, (byte) 0x88}, {(byte) 0x80, (byte) 0x80}};
        byte[] chosen = bad[random.nextInt(bad.length)];
        json[at] = chosen[0];
        json[at + 1] = chosen[1];
        return json;
    }

    private String notAnObject() {
        String[] bodies = {"", " ", "null", "true", "42", "-1e999", "\"prompt\"", "[]", "[{\"prompt\": \"Hello\"}]",
                "{", "}", "{\"prompt\": }", "{prompt: \"Hello\"}", "{'prompt': 'Hello'}", "{\"prompt\": \"Hello\",}",
                "{\"prompt\": \"Hello\"} trailing", "{\"prompt\" \"Hello\"}", "NaN", "{\"prompt\": NaN}",
                "{\"max_tokens\": 2}", "{}", "{\"prompt\": \"\\ud800\\u0000" + "\"", "\u0000"};
        return bodies[random.nextInt(bodies.length)];
    }

    private String deepNesting() {
        int depth = 1000 + random.nextInt(20000);
        return "{\"prompt\": " + "[".repeat(depth) + "]".repeat(depth) + "}";
    }

    private byte[] truncated(JsonObject base) {
        byte[] json = base.encode().getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(json, 1 + random.nextInt(json.length - 2));
    }

    private JsonObject withBadPrompt(JsonObject base, String path) {
        Object[] bad = {null, 42, true, new JsonArray(), new JsonArray().add(1).add(2), new JsonObject(), ""};
        Object value = bad[random.nextInt(bad.length)];
        JsonObject json = base.copy();
        if (path.endsWith("chat/completions")) {
            Object[] badMessages = {value, new JsonArray(), new JsonArray().add("Hi"),
                    new JsonArray().add(new JsonObject().put("content", "Hi")),
                    new JsonArray().add(new JsonObject().put("role", "user").put("content", 7)),
                    new JsonArray().add(new JsonObject().put("role", "").put("content", "Hi"))};
            return json.put("messages", badMessages[random.nextInt(badMessages.length)]);
        }
        return value == null ? json.putNull("prompt") : json.put("prompt", value);
    }

    private byte[] hugeDigits(JsonObject base, String path) {
        String field = random.nextBoolean() ? "max_tokens" : "temperature";
        String digits = "9".repeat(50 + random.nextInt(3000));
        String json = base.copy().put(field, 1).encode().replace("\"" + field + "\":1", "\"" + field + "\":" + digits);
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private JsonObject withBadField(JsonObject base, String[] fields) {
        String field = fields[random.nextInt(fields.length)];
        Object value = switch (field) {
            case "n" -> pick(0, 2, "1", 1.5);
            case "max_tokens", "max_completion_tokens" -> pick(0, -1, -2147483648, 100000, Long.MAX_VALUE, 2.5, "2", null);
            case "temperature" -> pick(-0.1, -1e308, 1e39, "hot", true);
            case "top_p" -> pick(0, -0.5, 1.5, 1e39, "all");
            case "top_k" -> pick(-1, 4294967297L, -4294967297L, 2.5, "5");
            case "min_p" -> pick(-0.1, 1.5, "x");
            case "repeat_penalty" -> pick(0, -1, 1e39, "x");
            case "repeat_last_n" -> pick(-1, 1.5, 4294967297L, "x");
            case "seed" -> pick(1.5, "seed", new BigInteger("1" + "0".repeat(30)));
            case "stop" -> pick(1, new JsonArray().add(1), new JsonObject(), new JsonArray().add("a").add(2));
            case "stream", "ignore_eos" -> pick("yes", 1, new JsonArray());
            default -> pick(-1, 1000, 2.5, "3", 4294967297L);
        };
        if (value == null) {
            value = NOT_A_NUMBER[random.nextInt(NOT_A_NUMBER.length)];
        }
        if (field.startsWith("max_") && random.nextInt(4) == 0) {
            value = HUGE[random.nextInt(HUGE.length)];
        }
        return base.copy().put(field, value);
    }

    private Object pick(Object... values) {
        return values[random.nextInt(values.length)];
    }

    private List<String> randomHeaders() {
        String[][] choices = {{"Content-Type", "application/json"}, {"Content-Type", "text/plain; charset=utf-16"},
                {"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "text/event-stream"},
                {"Accept", "*/*"}, {"X-Request-Id", "\u00ff" + random.nextInt()}, {"Accept-Encoding", "gzip, br"},
                {"X-Fuzz-" + random.nextInt(1000), Long.toHexString(random.nextLong())}, {"Cookie", "a=" + "b".repeat(500)}};
        String[] one = choices[random.nextInt(choices.length)];
        String[] two = choices[random.nextInt(choices.length)];
        return List.of(one[0], one[1].replace('\u00ff', 'y'), two[0], two[1].replace('\u00ff', 'y'));
    }
}
