package io.llmswarm.coordinator;

import io.llmswarm.cli.NodeSettings;
import io.llmswarm.cli.Resilience;
import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.ExecuteTask;
import io.llmswarm.cluster.HiddenEncoding;
import io.llmswarm.cluster.SamplingParams;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.eventbus.DeliveryContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --hidden-dtype f16} on a node: the requests it coordinates send hidden states between
 * shards as F16 (the shard relays them in the encoding the step names), while a node left at the
 * default keeps F32 for its own requests in the same swarm.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class HalfPrecisionHiddenStatesTest {

    @TempDir
    Path dir;

    @Test
    void aNodeSetToF16SendsItsRequestsHiddenStatesAsF16() throws Exception {
        Path model = SwarmTestModel.write(dir, 8);
        TestClusters cluster = new TestClusters(2);
        SwarmNode half = SwarmNode.start(new NodeSettings(model, "0-3", cluster.member(0), 0, 1, 1L << 30)
                .withResilience(Resilience.defaults().withHiddenEncoding(HiddenEncoding.F16))).await(60, TimeUnit.SECONDS);
        SwarmNode full = null;
        try {
            full = SwarmNode.start(new NodeSettings(model, "4-7", cluster.member(1), 0, 1, 1L << 30))
                    .await(60, TimeUnit.SECONDS);
            Map<HiddenEncoding, AtomicInteger> arriving = new ConcurrentHashMap<>();
            String execute = Addresses.shardExecute(full.nodeId());
            full.cluster().vertx().eventBus().addInboundInterceptor((DeliveryContext<Object> delivery) -> {
                if (delivery.message().address().equals(execute) && delivery.message().body() instanceof ExecuteTask task
                        && task.input().hasHidden()) {
                    arriving.computeIfAbsent(task.params().encoding(), e -> new AtomicInteger()).incrementAndGet();
                }
                delivery.next();
            });
            SwarmNode second = full;
            TestClusters.awaitTrue(Duration.ofSeconds(30), () -> half.coordinator().status().isReady()
                    && second.coordinator().status().isReady(), () -> "readiness: " + half.coordinator().status().toJson());

            GenerationOutcome f16 = generate(half);
            assertEquals(12, f16.tokenIds().length);
            assertEquals(Map.of(HiddenEncoding.F16, 12), counts(arriving), "the prompt step and 11 decode steps");

            arriving.clear();
            GenerationOutcome f32 = generate(full);
            assertEquals(12, f32.tokenIds().length);
            assertEquals(Map.of(HiddenEncoding.F32, 12), counts(arriving));
            assertTrue(f16.route().equals(f32.route()), f16.route() + " / " + f32.route());
        } finally {
            half.close(Duration.ofSeconds(10));
            if (full != null) {
                full.close(Duration.ofSeconds(10));
            }
        }
    }

    private static GenerationOutcome generate(SwarmNode coordinating) throws Exception {
        return coordinating.coordinator().generate(GenerateRequest.text("Once upon a time", 12,
                new SamplingParams(SamplingConfig.greedy(), true, 0)), TokenListener.none()).outcome()
                .await(60, TimeUnit.SECONDS);
    }

    private static Map<HiddenEncoding, Integer> counts(Map<HiddenEncoding, AtomicInteger> arriving) {
        Map<HiddenEncoding, Integer> counts = new HashMap<>();
        arriving.forEach((encoding, count) -> counts.put(encoding, count.get()));
        return counts;
    }
}
