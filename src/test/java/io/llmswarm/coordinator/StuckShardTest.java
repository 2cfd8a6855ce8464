package io.llmswarm.coordinator;

import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.SamplingParams;
import io.llmswarm.cluster.SwarmCluster;
import io.llmswarm.inference.GenerationResult;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A member announces the whole model (so the one-hop route prefers it), takes steps and never
 * passes them on, though it answers the probe (alive, step not finished): the step's deadline
 * passes, the probe names that member, and the request goes on around it with the
 * single-process tokens.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class StuckShardTest {

    @TempDir
    Path dir;

    @Test
    void aStepPastItsDeadlineIsPinnedOnTheHopThatDidNotFinishIt() throws Exception {
        AtomicInteger taken = new AtomicInteger();
        AtomicInteger probed = new AtomicInteger();
        Run run = generateAroundImpostor(message -> taken.incrementAndGet(), probe -> {
            probed.incrementAndGet();
            return -1;
        }, Duration.ofSeconds(2));
        assertEquals(1, taken.get(), "the stuck member got the prompt step, then was routed around");
        assertEquals(1, probed.get(), "it was asked once which step it had finished");
        assertEquals(1, run.timeouts());
        assertTrue(run.outcome().route().contains(run.head()), run.outcome().route());
    }

    /**
     * The same member, but it says at the first two probes that the step is in its engine's queue
     * (a busy shard): the coordinator gives the step two more deadlines, then, when the member no
     * longer says so, routes around it; the request still ends with the single-process tokens.
     */
    @Test
    void aHopThatSaysTheStepIsQueuedGetsMoreTime() throws Exception {
        AtomicInteger probed = new AtomicInteger();
        Run run = generateAroundImpostor(message -> { }, probe -> probed.incrementAndGet() <= 2 ? 1 : -1,
                Duration.ofSeconds(1));
        assertEquals(3, probed.get(), "two deadlines extended while queued, the third one routed around");
        assertEquals(1, run.timeouts());
    }

    private record Run(GenerationOutcome outcome, String head, long timeouts) {
    }

    /**
     * Generates 12 greedy tokens through a coordinator on the swarm's head while the impostor,
     * which announces the whole model, takes steps without passing them on and answers probes
     * with last step -1 and the running step {@code running} gives; checks the request went
     * around the impostor with the single-process tokens.
     */
    private Run generateAroundImpostor(Handler<Message<Object>> onStep,
                                       IntUnaryOperator running, Duration stepTimeout) throws Exception {
        Path model = SwarmTestModel.write(dir, 8);
        GenerationResult expected;
        try (LocalModel local = SwarmTestModel.local(model)) {
            expected = SwarmTestModel.generate(local, "Once upon a time", 12, SamplingConfig.greedy(), true);
        }
        try (ImpostorSwarm swarm = ImpostorSwarm.start(model, onStep)) {
            SwarmCluster stuck = swarm.impostor();
            stuck.vertx().eventBus().<JsonObject>consumer(Addresses.shardProbe(stuck.nodeId()), message ->
                    message.reply(new JsonObject().put("session_id", message.body().getString("session_id"))
                            .put("last_step", -1).put("running_step", running.applyAsInt(0)))).completion()
                    .await(10, TimeUnit.SECONDS);
            swarm.announceImpostor();
            SwarmNode head = swarm.head();
            Coordinator coordinator = new Coordinator(head.cluster().vertx(), head.coordinator().model(),
                    new Coordinator.Wiring(head.nodeId(), head.cluster().announcements(), null),
                    Coordinator.Settings.defaults().withStepTimeout(stepTimeout));
            GenerationOutcome outcome = coordinator.generate(GenerateRequest.text("Once upon a time", 12,
                    new SamplingParams(SamplingConfig.greedy(), true, 0)), TokenListener.none())
                    .outcome().await(60, TimeUnit.SECONDS);
            assertFalse(outcome.route().contains(stuck.nodeId()), outcome.route());
            assertArrayEquals(expected.tokens(), outcome.tokenIds());
            return new Run(outcome, head.nodeId(), coordinator.faults().count(FaultCounters.Kind.TIMEOUT));
        }
    }
}
