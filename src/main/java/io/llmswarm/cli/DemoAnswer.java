package io.llmswarm.cli;

import io.vertx.core.json.JsonObject;

import java.util.Locale;

/** The demo's account of one answer from {@code /api/inference}: the text, the route, and what each shard took. */
final class DemoAnswer {

    private DemoAnswer() {
    }

    static String describe(JsonObject response) {
        JsonObject metadata = response.getJsonObject("metadata");
        StringBuilder text = new StringBuilder();
        text.append("answer: ").append(response.getString("result").strip()).append('\n');
        text.append("route:  ").append(metadata.getString("route")).append('\n');
        JsonObject shards = metadata.getJsonObject("shard_latencies");
        for (String shard : shards.fieldNames()) {
            JsonObject timing = shards.getJsonObject(shard);
            text.append(String.format(Locale.ROOT, "  shard %s: %d steps, %.1f ms in all (engine %.1f ms)%n", shard,
                    timing.getInteger("steps"), timing.getDouble("total_ms"), timing.getDouble("engine_ms")));
        }
        text.append(String.format(Locale.ROOT,
                "%d prompt tokens, %d generated (%s); first token after %.0f ms, %.1f tokens/s, %.0f ms in all",
                response.getInteger("prompt_tokens"), metadata.getInteger("tokens_generated"),
                response.getString("finish_reason"), metadata.getDouble("time_to_first_token_ms"),
                metadata.getDouble("tokens_per_second"), metadata.getDouble("total_latency_ms")));
        return text.toString();
    }
}
