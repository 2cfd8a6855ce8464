package io.llmswarm.engine;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** How the demo and the benchmarks split a model's layers over nodes. */
class LayerRangeSplitTest {

    @Test
    void splitsIntoContiguousSpansLargerFirst() {
        assertEquals(List.of(LayerRange.parse("0-1"), LayerRange.parse("2-3"), LayerRange.parse("4-5"),
                LayerRange.parse("6-7")), LayerRange.split(8, 4));
        assertEquals(List.of(LayerRange.parse("0-5"), LayerRange.parse("6-11"), LayerRange.parse("12-16"),
                LayerRange.parse("17-21")), LayerRange.split(22, 4));
        assertEquals(List.of(LayerRange.parse("0"), LayerRange.parse("1")), LayerRange.split(2, 4));
    }
}
