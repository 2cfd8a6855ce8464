package io.llmswarm.gateway;

import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.ExecuteTask;
import io.llmswarm.cluster.TestClusters;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Watches the shard steps (EXECUTE_TASK messages) that the nodes of a swarm receive, noting each
 * one's request id, and can hold back those for one node's shard: a generation whose step is held
 * keeps running, however fast the model, until the test lets the held steps go on to the shard as
 * they came. An event-bus interceptor; nothing else is changed.
 */
final class ShardStepGate implements AutoCloseable {

    private final List<SwarmNode> watched;
    private final String heldAddress;
    private final Set<String> requestIds = ConcurrentHashMap.newKeySet();
    private final List<Runnable> held = new ArrayList<>();
    private final Handler<DeliveryContext<Object>> interceptor = this::intercept;
    private boolean holding;

    private ShardStepGate(List<SwarmNode> watched, SwarmNode holder) {
        this.watched = List.copyOf(watched);
        this.heldAddress = Addresses.shardExecute(holder.nodeId());
    }

    /** Watches every node of {@code nodes}; {@link #hold()} holds the steps sent to {@code holder}'s shard. */
    static ShardStepGate install(List<SwarmNode> nodes, SwarmNode holder) {
        ShardStepGate gate = new ShardStepGate(nodes, holder);
        gate.watched.forEach(n -> n.cluster().vertx().eventBus().addInboundInterceptor(gate.interceptor));
        return gate;
    }

    private void intercept(DeliveryContext<Object> delivery) {
        String address = delivery.message().address();
        if (!address.startsWith(Addresses.SHARD_PREFIX) || !address.endsWith(".execute")) {
            delivery.next();
            return;
        }
        requestIds.add(delivery.message().body() instanceof ExecuteTask task ? task.envelope().requestId() : "?");
        synchronized (this) {
            if (holding && address.equals(heldAddress)) {
                // Go on later on the context the delivery runs on now, as it would have.
                Context context = Vertx.currentContext();
                held.add(context == null ? delivery::next : () -> context.runOnContext(v -> delivery.next()));
                return;
            }
        }
        delivery.next();
    }

    /** From now on holds the steps sent to the holder's shard. */
    synchronized void hold() {
        holding = true;
    }

    /** Lets the held steps go on, and those to come. */
    void letThrough() {
        List<Runnable> release;
        synchronized (this) {
            holding = false;
            release = List.copyOf(held);
            held.clear();
        }
        release.forEach(Runnable::run);
    }

    /** Waits until {@code n} steps are held. */
    void awaitHeld(int n) {
        TestClusters.awaitTrue(Duration.ofSeconds(30), () -> heldCount() >= n, () -> n + " held steps; held " + heldCount());
    }

    private synchronized int heldCount() {
        return held.size();
    }

    /** The request ids of every step a watched node received. */
    Set<String> requestIds() {
        return Set.copyOf(requestIds);
    }

    /** Lets the held steps through and stops watching. */
    @Override
    public void close() {
        letThrough();
        watched.forEach(n -> n.cluster().vertx().eventBus().removeInboundInterceptor(interceptor));
    }
}
