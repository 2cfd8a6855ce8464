/**
 * The swarm's shared ground: Vert.x clustered over Hazelcast ({@link io.llmswarm.cluster.SwarmCluster}),
 * event-bus addresses, the EXECUTE_TASK messages and their codecs (JSON header, little-endian
 * binary body; registered once per Vert.x by {@link io.llmswarm.cluster.SwarmCodecs}, which keeps the
 * signing secret in that Vert.x's local shared data; local delivery hands over copies of what is
 * mutable), shard announcements in a Hazelcast map that follow membership
 * ({@link io.llmswarm.cluster.AnnouncementRegistry}, written by the node's
 * {@link io.llmswarm.cluster.Announcer} with Hazelcast's asynchronous operations), the swarm's coverage
 * for a model ({@link io.llmswarm.cluster.SwarmView}), route planning and the {@code --layers auto} choice.
 */
package io.llmswarm.cluster;
