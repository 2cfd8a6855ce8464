package io.llmswarm.cli;

import io.llmswarm.client.ChatResult;
import io.llmswarm.client.InferenceResult;
import io.llmswarm.client.PipelineState;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** The line {@code node chat} prints after an answer: route with each hop's time, tokens, why it ended, latency, speed. */
final class ChatSummary {

    /** Node ids are UUIDs; their first eight digits tell the nodes of a swarm apart. */
    private static final Pattern NODE_ID = Pattern.compile("\\b([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\b");

    private ChatSummary() {
    }

    static String of(InferenceResult result) {
        InferenceResult.Metadata meta = result.metadata();
        String route = meta.shardLatencies().isEmpty() ? shortIds(meta.route()) : route(meta.shardLatencies());
        return String.format(Locale.ROOT, "[route %s | %d prompt + %d tokens (%s)%s | first token %.0f ms, total %.0f ms,"
                        + " %.1f tokens/s]", route.isEmpty() ? "?" : route, result.promptTokens(),
                meta.tokensGenerated(), result.finishReason(), result.seed() == null ? "" : ", seed " + result.seed(),
                meta.timeToFirstTokenMs(), meta.totalLatencyMs(), meta.tokensPerSecond());
    }

    /**
     * The chat API's answer carries no route or timings: the route comes from the swarm's pipeline
     * state when it has one, the latency is the one measured here.
     */
    static String of(ChatResult result, double elapsedMs, Optional<PipelineState> state) {
        String route = state.filter(s -> !s.shards().isEmpty()).map(s -> "route " + route(s.shards()))
                .orElse("request " + result.requestId());
        return String.format(Locale.ROOT, "[%s | %d prompt + %d tokens (%s) | total %.0f ms, %.1f tokens/s]",
                route, result.promptTokens(), result.completionTokens(), result.finishReason(), elapsedMs,
                elapsedMs <= 0 ? 0 : result.completionTokens() / (elapsedMs / 1000));
    }

    /** {@code node[0-3] 41 ms -> node[4-7] 38 ms}: each hop with its round-trip time over the whole answer. */
    private static String route(List<InferenceResult.ShardLatency> shards) {
        return shards.stream().map(s -> String.format(Locale.ROOT, "%s %.0f ms", shortIds(s.shard()), s.totalMs()))
                .collect(Collectors.joining(" -> "));
    }

    private static String shortIds(String text) {
        return NODE_ID.matcher(text).replaceAll("$1");
    }
}
