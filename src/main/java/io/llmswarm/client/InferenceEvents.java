package io.llmswarm.client;

import io.vertx.core.json.JsonObject;

import java.util.function.Consumer;

/** {@code /api/inference}'s stream: unnamed events are tokens, {@code done} the answer, {@code error} the reason. */
final class InferenceEvents implements StreamEvents<InferenceResult> {

    private final Consumer<StreamedToken> onToken;

    InferenceEvents(Consumer<StreamedToken> onToken) {
        this.onToken = onToken;
    }

    @Override
    public InferenceResult accept(ServerSentEvents.Event event, String requestId) {
        JsonObject data = new JsonObject(event.data());
        return switch (event.name()) {
            case "done" -> InferenceResult.fromJson(data);
            case "error" -> throw new SwarmClientException(0, "the generation failed on the node: "
                    + data.getValue("error"));
            default -> {
                onToken.accept(StreamedToken.fromJson(data));
                yield null;
            }
        };
    }
}
