package io.llmswarm.cluster;

/** Tells a shard that a session is over (completed, cancelled, failed) so it frees its KV cache. */
public record SessionRelease(String sessionId, String reason) {
}
