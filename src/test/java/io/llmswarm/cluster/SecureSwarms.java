package io.llmswarm.cluster;

import io.llmswarm.engine.LayerRange;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** What the admission and TLS tests share: members outside the swarm, and steps sent by hand. */
final class SecureSwarms {

    static final ClusterSecret SECRET = ClusterSecret.of("the swarm's shared secret, 2026");

    private SecureSwarms() {
    }

    /** A lite member joined to {@code cluster} under the Hazelcast name nodes with {@code SECRET} use, but holding {@code secret}. */
    static SwarmCluster liteMember(TestClusters cluster, ClusterSecurity security) throws Exception {
        int port = TestClusters.freePorts(1).getFirst();
        ClusterSettings settings = new ClusterSettings(SECRET.hazelcastClusterName(cluster.name()), "127.0.0.1", port,
                cluster.memberAddresses(), false, true, security);
        if (security.secret().enabled()) {
            settings = new ClusterSettings(cluster.name(), "127.0.0.1", port, cluster.memberAddresses(), false, true,
                    security);
        }
        return SwarmCluster.join(settings).await(60, TimeUnit.SECONDS);
    }

    /** A prompt step of two tokens for a shard holding layers 0-3 of an 8-layer model. */
    static ExecuteTask promptStep(String from, String to, long timestamp) {
        TaskParams params = new TaskParams("by-hand-" + timestamp, to, new LayerRange(0, 3), 0, false,
                new SamplingParams(SamplingConfig.greedy(), false, 0), HiddenEncoding.F32);
        return new ExecuteTask(new Envelope(Envelope.EXECUTE_TASK, "by-hand", from, to, timestamp), params,
                TaskInput.tokens(1, 2));
    }

    /** The reply, or the failure the request ended with. */
    static Object send(SwarmCluster from, String address, Object body, long timeoutMs) throws Exception {
        Future<Message<Object>> reply = from.vertx().eventBus()
                .request(address, body, new DeliveryOptions().setSendTimeout(timeoutMs));
        try {
            return reply.toCompletionStage().toCompletableFuture().get(timeoutMs + 5000, TimeUnit.MILLISECONDS).body();
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    static ReplyException refusal(Object answer) {
        if (answer instanceof ReplyException e) {
            return e;
        }
        throw new AssertionError("expected a refusal; got " + answer);
    }

    static List<String> ids(SwarmView view) {
        return view.shards().stream().map(ShardAnnouncement::nodeId).sorted().toList();
    }
}
