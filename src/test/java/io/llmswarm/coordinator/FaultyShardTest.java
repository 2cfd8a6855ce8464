package io.llmswarm.coordinator;

import io.llmswarm.cluster.Envelope;
import io.llmswarm.cluster.ExecuteTask;
import io.llmswarm.cluster.Relay;
import io.llmswarm.cluster.SamplingParams;
import io.llmswarm.cluster.TaskReply;
import io.llmswarm.cluster.TaskResult;
import io.llmswarm.inference.GenerationResult;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A member announces the whole model (so the one-hop route prefers it) but answers with a token
 * id outside the vocabulary: the coordinator rejects the result, routes around that member and
 * still gives the single-process tokens.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class FaultyShardTest {

    @TempDir
    Path dir;

    @Test
    void anInvalidResultIsRejectedAndTheStepRetriedElsewhere() throws Exception {
        Path model = SwarmTestModel.write(dir, 8);
        GenerationResult expected;
        try (LocalModel local = SwarmTestModel.local(model)) {
            expected = SwarmTestModel.generate(local, "Once upon a time", 12, SamplingConfig.greedy(), true);
        }
        AtomicInteger faultyCalls = new AtomicInteger();
        try (ImpostorSwarm swarm = ImpostorSwarm.start(model, (Message<ExecuteTask> message) -> {
            faultyCalls.incrementAndGet();
            ExecuteTask step = message.body();
            Relay relay = step.relay();
            TaskReply bad = TaskReply.ok(new Envelope(Envelope.TASK_RESULT, step.envelope().requestId(),
                    step.envelope().to(), relay.replyTo(), System.currentTimeMillis()),
                    new TaskResult.Sampled(1_000_000, 0f, List.of()), 1);
            Vertx.currentContext().owner().eventBus().send(relay.replyTo(), bad.relayed(relay.answered(new Relay.HopTime(1, 1))));
        })) {
            swarm.announceImpostor();
            GenerationOutcome outcome = swarm.head().coordinator().generate(GenerateRequest.text("Once upon a time", 12,
                    new SamplingParams(SamplingConfig.greedy(), true, 0)), TokenListener.none())
                    .outcome().await(60, TimeUnit.SECONDS);
            assertEquals(1, faultyCalls.get(), "the faulty member was tried once, then avoided");
            assertFalse(outcome.route().contains(swarm.impostorId()), outcome.route());
            assertArrayEquals(expected.tokens(), outcome.tokenIds());
        }
    }
}
