package io.llmswarm.cli;

import io.llmswarm.client.ChatResult;
import io.llmswarm.client.InferenceResult;

import java.util.Locale;
import java.util.regex.Pattern;

/** The line {@code node chat} prints after an answer: route, tokens, why it ended, latency and speed. */
final class ChatSummary {

    /** Node ids are UUIDs; their first eight digits tell the nodes of a swarm apart. */
    private static final Pattern NODE_ID = Pattern.compile("\\b([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\b");

    private ChatSummary() {
    }

    static String of(InferenceResult result) {
        InferenceResult.Metadata meta = result.metadata();
        String route = NODE_ID.matcher(meta.route()).replaceAll("$1");
        return String.format(Locale.ROOT, "[route %s | %d prompt + %d tokens (%s) | first token %.0f ms, total %.0f ms,"
                        + " %.1f tokens/s]", route.isEmpty() ? "?" : route, result.promptTokens(),
                meta.tokensGenerated(), result.finishReason(), meta.timeToFirstTokenMs(), meta.totalLatencyMs(),
                meta.tokensPerSecond());
    }

    /** The chat API carries no route or timings: the latency is the one measured here. */
    static String of(ChatResult result, double elapsedMs) {
        return String.format(Locale.ROOT, "[chat %s | %d prompt + %d tokens (%s) | total %.0f ms, %.1f tokens/s]",
                result.requestId() == null ? "?" : result.requestId(), result.promptTokens(),
                result.completionTokens(), result.finishReason(), elapsedMs,
                elapsedMs <= 0 ? 0 : result.completionTokens() / (elapsedMs / 1000));
    }
}
