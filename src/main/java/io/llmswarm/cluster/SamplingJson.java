package io.llmswarm.cluster;

import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.json.JsonObject;

/** A {@link SamplingConfig} as the JSON of message headers and requests (snake_case keys). */
public final class SamplingJson {

    private SamplingJson() {
    }

    public static JsonObject toJson(SamplingConfig c) {
        return new JsonObject().put("temperature", c.temperature()).put("top_k", c.topK()).put("top_p", c.topP())
                .put("min_p", c.minP()).put("repeat_penalty", c.repetitionPenalty())
                .put("repeat_last_n", c.repetitionLastN()).put("seed", c.seed());
    }

    /** Reads the keys that are present over {@code base}; absent keys keep the base's value. */
    public static SamplingConfig fromJson(JsonObject json, SamplingConfig base) {
        return new SamplingConfig(
                json.getFloat("temperature", base.temperature()),
                json.getInteger("top_k", base.topK()),
                json.getFloat("top_p", base.topP()),
                json.getFloat("min_p", base.minP()),
                json.getFloat("repeat_penalty", base.repetitionPenalty()),
                json.getInteger("repeat_last_n", base.repetitionLastN()),
                json.getLong("seed", base.seed()));
    }
}
