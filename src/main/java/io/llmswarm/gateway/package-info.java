/**
 * The node's front door (Vert.x Web), one {@link io.llmswarm.gateway.GatewayVerticle} per node: in
 * order, the origin guard, API keys, the draining check and the generation limits
 * ({@code GenerationSlots}, shared with the bridge), then the handlers. {@code InferenceHandler}
 * ({@code POST /api/inference}), {@code OpenAiHandler} ({@code /v1}) and {@code BridgeInference}
 * (SockJS event-bus bridge) only translate formats: each reads its request, starts it through the
 * coordinator's {@link io.llmswarm.coordinator.GenerationStart}, streams tokens as JSON, Server-Sent
 * Events or bridge messages ({@code EventStream}, {@code OpenAiChunks}), and answers a failure in its
 * API's shape from {@link io.llmswarm.coordinator.GenerationFailure} ({@code ErrorReply}). Also the web
 * UI, health, readiness, drain and Prometheus metrics. Nothing here blocks an event loop.
 */
package io.llmswarm.gateway;
