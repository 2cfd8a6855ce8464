/**
 * Generation through the swarm. Every entry point (the gateway's HTTP and OpenAI handlers, the
 * event-bus bridge, {@link io.llmswarm.coordinator.CoordinatorVerticle}'s JSON address) reads its
 * own format into a {@link io.llmswarm.coordinator.GenerateRequest} and starts it through
 * {@link io.llmswarm.coordinator.GenerationStart}, which checks that the swarm can serve the model
 * and hands back the running {@link io.llmswarm.coordinator.Generation}; whatever stops a generation
 * is answered as the one table {@link io.llmswarm.coordinator.GenerationFailure} says (400, 503 not
 * ready, 503 busy, 500).
 * <p>
 * {@link io.llmswarm.coordinator.Coordinator#generate} makes a {@code PipelineRun}: it chooses a route
 * ({@code RouteChooser}: a pipeline of shards or a whole-model replica), sends the prompt to the first
 * shard, which relays it shard to shard, and gets the sampled token back from the last; then each new
 * token makes the same trip. It streams tokens to a {@link io.llmswarm.coordinator.TokenListener},
 * stops on EOS, max tokens, stop strings or a full context, fails over by replaying the token history
 * through a new route, and records the pipeline state in a Hazelcast map
 * ({@link io.llmswarm.coordinator.PipelineStateStore}, asynchronous reads and writes). The decode loop of
 * a request runs on one event-loop context and never blocks. Inside a run: its life is a
 * {@code RunState} (planning, running, moving after a fault, ended; illegal moves throw), its part on
 * a route is a {@code Leg} ({@code PipelineLeg}: steps, deadlines, probes, a step's answer;
 * {@code ReplicaLeg}: a llama.cpp replica's stream), and {@code FailOver} counts the fail-overs,
 * remembers the nodes that failed it and picks the next route.
 */
package io.llmswarm.coordinator;
