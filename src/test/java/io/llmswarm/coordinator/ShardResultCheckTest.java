package io.llmswarm.coordinator;

import io.llmswarm.cluster.Envelope;
import io.llmswarm.cluster.Route;
import io.llmswarm.cluster.ShardAnnouncement;
import io.llmswarm.cluster.TaskReply;
import io.llmswarm.cluster.TaskResult;
import io.llmswarm.engine.LayerRange;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which shard replies a coordinator takes: only its own request's, from the node it asked, of the right kind, shape and values. */
class ShardResultCheckTest {

    private static final Coordinator.ModelInfo.Shape SHAPE = new Coordinator.ModelInfo.Shape(8, 128, 4, 100);
    private final ShardResultCheck check = new ShardResultCheck("req-1", SHAPE);
    private final Route.Hop hop = new Route.Hop(new ShardAnnouncement("node-b",
            new ShardAnnouncement.ModelIdentity("fp", "m", 8), new LayerRange(0, 3), "java", "addr", 1, 0, true),
            new LayerRange(0, 3));

    private static Envelope from(String requestId, String node) {
        return Envelope.now(Envelope.TASK_RESULT, requestId, node, "node-a");
    }

    private static TaskResult.Hidden hidden(float... values) {
        return new TaskResult.Hidden(values, values.length / 4, 4);
    }

    @Test
    void takesItsOwnWellFormedReply() {
        TaskReply reply = TaskReply.ok(from("req-1", "node-b"), hidden(1, 2, 3, 4, 5, 6, 7, 8), 10);
        assertTrue(check.checked(reply, hop, 2, false).succeeded());
        TaskReply full = TaskReply.failed(from("req-1", "node-b"), "context_full: 128 positions");
        assertTrue(check.checked(full, hop, 2, false).succeeded(), "a full context is an outcome, not a fault");
    }

    @Test
    void rejectsRepliesForAnotherRequestOrFromAnotherNode() {
        assertFault(TaskReply.ok(from("req-2", "node-b"), hidden(1, 2, 3, 4), 10), 1, false, "request req-2");
        assertFault(TaskReply.ok(from("req-1", "node-x"), hidden(1, 2, 3, 4), 10), 1, false, "from node-x");
    }

    @Test
    void rejectsWrongShapesValuesAndKinds() {
        assertFault(TaskReply.ok(from("req-1", "node-b"), hidden(1, 2, 3, 4), 10), 2, false, "shape [1, 4]");
        assertFault(TaskReply.ok(from("req-1", "node-b"), hidden(1, Float.NaN, 3, 4), 10), 1, false, "NaN");
        assertFault(TaskReply.ok(from("req-1", "node-b"), hidden(1, 2, Float.POSITIVE_INFINITY, 4), 10), 1, false,
                "Infinity");
        assertFault(TaskReply.ok(from("req-1", "node-b"), new TaskResult.Sampled(100, -1f, List.of()), 10), 1, true,
                "outside the vocabulary");
        assertFault(TaskReply.ok(from("req-1", "node-b"), hidden(1, 2, 3, 4), 10), 1, true, "a sampled token");
        Future<TaskReply> error = check.checked(TaskReply.failed(from("req-1", "node-b"), "out of memory"), hop, 1, false);
        assertEquals(FaultCounters.Kind.ERROR, assertInstanceOf(ShardFault.class, error.cause()).kind());
    }

    private void assertFault(TaskReply reply, int rows, boolean last, String says) {
        Future<TaskReply> outcome = check.checked(reply, hop, rows, last);
        ShardFault fault = assertInstanceOf(ShardFault.class, outcome.cause());
        assertEquals(FaultCounters.Kind.INVALID_RESULT, fault.kind());
        assertTrue(fault.getMessage().contains(says), fault.getMessage());
    }
}
