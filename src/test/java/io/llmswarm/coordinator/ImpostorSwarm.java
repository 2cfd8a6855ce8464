package io.llmswarm.coordinator;

import io.llmswarm.cli.NodeSettings;
import io.llmswarm.cli.Resilience;
import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.ShardAnnouncement;
import io.llmswarm.cluster.SwarmCluster;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.engine.LayerRange;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.Message;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Two real nodes (layers 0-3 and 4-7 of the 8-layer test model) and a member that announces all
 * eight layers, so the one-hop route through it is preferred, but behaves however the test's
 * consumer on its shard address does: how a coordinator copes with a node that misbehaves.
 */
final class ImpostorSwarm implements AutoCloseable {

    private final List<SwarmNode> nodes = new ArrayList<>();
    private final SwarmCluster impostor;

    private ImpostorSwarm(SwarmCluster impostor) {
        this.impostor = impostor;
    }

    /** Starts the swarm; {@code steps} takes whatever reaches the impostor's shard address. */
    static <T> ImpostorSwarm start(Path model, Handler<Message<T>> steps) throws Exception {
        return start(model, Resilience.defaults(), steps);
    }

    /** Starts the swarm, its two real nodes coping with faults as {@code resilience} says. */
    static <T> ImpostorSwarm start(Path model, Resilience resilience, Handler<Message<T>> steps) throws Exception {
        TestClusters cluster = new TestClusters(3);
        ImpostorSwarm swarm = new ImpostorSwarm(SwarmCluster.join(cluster.member(2)).await(60, TimeUnit.SECONDS));
        try {
            for (Future<SwarmNode> start : List.of(
                    SwarmNode.start(new NodeSettings(model, "0-3", cluster.member(0), 0, 1, 1L << 30, resilience)),
                    SwarmNode.start(new NodeSettings(model, "4-7", cluster.member(1), 0, 1, 1L << 30, resilience)))) {
                swarm.nodes.add(start.await(60, TimeUnit.SECONDS));
            }
            swarm.impostor.vertx().eventBus().consumer(Addresses.shardExecute(swarm.impostorId()), steps)
                    .completion().await(10, TimeUnit.SECONDS);
            return swarm;
        } catch (Exception | Error e) {
            swarm.close();
            throw e;
        }
    }

    /** Announces the impostor as holding layers 0-7 and waits until the head sees three ready shards. */
    void announceImpostor() throws Exception {
        String fingerprint = head().coordinator().model().fingerprint();
        impostor.vertx().executeBlocking(() -> {
            impostor.announcements().announce(new ShardAnnouncement(impostorId(),
                    new ShardAnnouncement.ModelIdentity(fingerprint, "impostor", 8), new LayerRange(0, 7), "java",
                    Addresses.shardExecute(impostorId()), 8, 0, true));
            return null;
        }).await(10, TimeUnit.SECONDS);
        TestClusters.awaitTrue(Duration.ofSeconds(30), () -> head().coordinator().status().readyShards().size() == 3,
                () -> "three ready shards: " + head().coordinator().status().toJson());
    }

    /** The 0-3 node: its coordinator plans the routes. */
    SwarmNode head() {
        return nodes.getFirst();
    }

    SwarmCluster impostor() {
        return impostor;
    }

    String impostorId() {
        return impostor.nodeId();
    }

    @Override
    public void close() throws Exception {
        for (SwarmNode node : nodes) {
            node.close(Duration.ofSeconds(10));
        }
        impostor.close(Duration.ofSeconds(10));
    }
}
