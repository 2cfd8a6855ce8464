package io.llmswarm.engine;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayerRangeTest {

    @Test
    void parsesInclusiveRangesAndSingleLayers() {
        assertEquals(new LayerRange(8, 15), LayerRange.parse("8-15"));
        assertEquals(new LayerRange(3, 3), LayerRange.parse(" 3 "));
        assertEquals(8, LayerRange.parse("8-15").size());
        assertEquals("0-31", LayerRange.all(32).toString());
    }

    @Test
    void knowsWhetherItStartsOrEndsTheModel() {
        LayerRange first = LayerRange.parse("0-7");
        LayerRange last = LayerRange.parse("24-31");
        assertTrue(first.startsModel());
        assertFalse(first.endsModel(32));
        assertFalse(last.startsModel());
        assertTrue(last.endsModel(32));
    }

    @Test
    void rejectsMalformedAndOutOfModelRanges() {
        assertThrows(IllegalArgumentException.class, () -> LayerRange.parse("7-3"));
        assertThrows(IllegalArgumentException.class, () -> LayerRange.parse("a-b"));
        assertThrows(IllegalArgumentException.class, () -> LayerRange.parse("-1"));
        var error = assertThrows(IllegalArgumentException.class, () -> LayerRange.parse("0-40").checkWithin(32));
        assertTrue(error.getMessage().contains("0-31"), error.getMessage());
    }
}
