package io.llmswarm.sampling;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TokenHistoryTest {

    @Test
    void keepsTheLastTokensUpToItsCapacity() {
        TokenHistory history = new TokenHistory(3);
        history.addAll(new int[] {10, 11, 12, 13, 14});
        assertEquals(3, history.size());
        assertEquals(14, history.recent(0));
        assertEquals(13, history.recent(1));
        assertEquals(12, history.recent(2));
        assertThrows(IndexOutOfBoundsException.class, () -> history.recent(3));
        history.clear();
        assertEquals(0, history.size());
    }

    @Test
    void aCapacityBelowOneIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new TokenHistory(0));
    }
}
