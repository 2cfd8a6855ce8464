/**
 * Generation through the swarm: {@link io.llmswarm.coordinator.Coordinator#generate} plans a route,
 * sends the prompt through every shard, then each token through all of them, streams tokens to a
 * listener, stops on EOS, max tokens, stop strings or a full context, frees the sessions, and
 * records pipeline state in a Hazelcast map. {@link io.llmswarm.coordinator.CoordinatorVerticle}
 * offers the same as JSON on the event bus.
 */
package io.llmswarm.coordinator;
