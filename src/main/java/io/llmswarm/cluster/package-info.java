/**
 * The swarm's shared ground: Vert.x clustered over Hazelcast ({@link io.llmswarm.cluster.SwarmCluster}),
 * event-bus addresses, the EXECUTE_TASK messages and their codecs (JSON header, little-endian
 * binary body), shard announcements in a Hazelcast map that follow membership
 * ({@link io.llmswarm.cluster.AnnouncementRegistry}), the swarm's coverage for a model
 * ({@link io.llmswarm.cluster.SwarmView}), route planning and the {@code --layers auto} choice.
 */
package io.llmswarm.cluster;
