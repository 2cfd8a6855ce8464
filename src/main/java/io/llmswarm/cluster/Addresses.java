package io.llmswarm.cluster;

/**
 * Event-bus addresses and Hazelcast map names of the swarm, in one place. Each shard listens on
 * its own address (derived from its node id) so that a route names exactly the nodes it uses.
 */
public final class Addresses {

    /** Prefix of a shard's task address: {@code llm.shard.<nodeId>.execute}. */
    public static final String SHARD_PREFIX = "llm.shard.";

    /** Where any node's coordinator takes a generation request as JSON (round-robin over nodes). */
    public static final String GENERATE = "llm.coordinator.generate";

    /** Where any node's coordinator answers with the swarm's status as JSON. */
    public static final String STATUS = "llm.coordinator.status";

    /** Hazelcast map of shard announcements, keyed by node id. */
    public static final String ANNOUNCEMENTS_MAP = "llm.shard.announcements";

    /** Hazelcast map of pipeline state per request, keyed by request id. */
    public static final String PIPELINE_MAP = "llm.pipeline.state";

    private static final String RESULTS_PREFIX = "llm.coordinator.";
    private static final String RESULTS_SUFFIX = ".results";

    private Addresses() {
    }

    /** Where the coordinators of one model (by fingerprint) take generation requests, in a swarm of several models. */
    public static String generateFor(String fingerprint) {
        return GENERATE + "." + fingerprint;
    }

    /** The address a node's shard takes EXECUTE_TASK messages on. */
    public static String shardExecute(String nodeId) {
        return SHARD_PREFIX + nodeId + ".execute";
    }

    /** The address a whole-model replica takes generation requests on. */
    public static String replicaGenerate(String nodeId) {
        return "llm.replica." + nodeId + ".generate";
    }

    /**
     * Where a coordinator takes the results of relayed steps from the last shard of a route (or any
     * shard's error); {@code coordinatorId} tells apart coordinators on one node.
     */
    public static String coordinatorResults(String coordinatorId) {
        return RESULTS_PREFIX + coordinatorId + RESULTS_SUFFIX;
    }

    /** Whether {@code address} is a coordinator's results address: shards send results nowhere else. */
    public static boolean isCoordinatorResults(String address) {
        return address != null && address.startsWith(RESULTS_PREFIX) && address.endsWith(RESULTS_SUFFIX)
                && address.length() > RESULTS_PREFIX.length() + RESULTS_SUFFIX.length();
    }

    /** Where a node's shard answers which step of a session it finished last (a coordinator asks after a deadline). */
    public static String shardProbe(String nodeId) {
        return SHARD_PREFIX + nodeId + ".probe";
    }

    /** The address a node's shard (or replica) takes session releases on. */
    public static String shardRelease(String nodeId) {
        return SHARD_PREFIX + nodeId + ".release";
    }
}
