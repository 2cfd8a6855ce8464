/**
 * A node's layers on the event bus: {@link io.llmswarm.shard.ShardService} runs EXECUTE_TASK steps
 * on the engine with a KV cache per session and samples on the final shard;
 * {@link io.llmswarm.shard.ShardVerticle} wires it to the bus on worker threads and announces it.
 */
package io.llmswarm.shard;
