package io.llmswarm.coordinator;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A run's life: planning, running, moving after a fault, ended; nothing starts again after the end. */
class RunStateTest {

    @Test
    void aRunMovesForwardAndNeverLeavesTheEnd() {
        RunState state = RunState.PLANNING.moveTo(RunState.RUNNING).moveTo(RunState.MOVING).moveTo(RunState.RUNNING)
                .moveTo(RunState.ENDED);
        assertEquals(RunState.ENDED, state);
        assertEquals(RunState.ENDED, RunState.PLANNING.moveTo(RunState.ENDED), "refused or finished before a step");
        assertEquals(RunState.ENDED, RunState.MOVING.moveTo(RunState.ENDED), "cancelled or out of routes while moving");
        for (RunState next : RunState.values()) {
            var e = assertThrows(IllegalStateException.class, () -> RunState.ENDED.moveTo(next));
            assertTrue(e.getMessage().contains("from ENDED to " + next), e.getMessage());
        }
        assertThrows(IllegalStateException.class, () -> RunState.PLANNING.moveTo(RunState.MOVING), "no fault before a route runs");
        assertThrows(IllegalStateException.class, () -> RunState.MOVING.moveTo(RunState.MOVING), "one fault moves a run once");
        assertThrows(IllegalStateException.class, () -> RunState.RUNNING.moveTo(RunState.PLANNING));
    }
}
