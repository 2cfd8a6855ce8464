package io.llmswarm.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * A contiguous, inclusive range of transformer layers {@code [first, last]} that a node holds.
 * Layer indices start at 0.
 */
public record LayerRange(int first, int last) {

    public LayerRange {
        if (first < 0 || last < first) {
            throw new IllegalArgumentException("a layer range needs 0 <= first <= last; got " + first + "-" + last);
        }
    }

    /** All layers of a model with {@code blockCount} layers. */
    public static LayerRange all(int blockCount) {
        return new LayerRange(0, blockCount - 1);
    }

    /**
     * {@code blockCount} layers in {@code parts} contiguous spans as equal as can be, the larger
     * ones first (fewer spans when there are fewer layers than parts).
     */
    public static List<LayerRange> split(int blockCount, int parts) {
        int count = Math.min(parts, blockCount);
        List<LayerRange> spans = new ArrayList<>(count);
        int first = 0;
        for (int i = 0; i < count; i++) {
            int size = blockCount / count + (i < blockCount % count ? 1 : 0);
            spans.add(new LayerRange(first, first + size - 1));
            first += size;
        }
        return spans;
    }

    /** Parses {@code "A-B"} (inclusive) or a single layer {@code "A"}. */
    public static LayerRange parse(String text) {
        String trimmed = text.trim();
        int dash = trimmed.indexOf('-', 1);
        try {
            if (dash < 0) {
                int layer = Integer.parseInt(trimmed);
                return new LayerRange(layer, layer);
            }
            return new LayerRange(Integer.parseInt(trimmed.substring(0, dash).trim()),
                    Integer.parseInt(trimmed.substring(dash + 1).trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("a layer range looks like 0-7; got '" + text + "'");
        }
    }

    public int size() {
        return last - first + 1;
    }

    public boolean contains(int layer) {
        return layer >= first && layer <= last;
    }

    /** Whether every layer of {@code span} is in this range. */
    public boolean contains(LayerRange span) {
        return span.first >= first && span.last <= last;
    }

    /** Whether this range starts with the embedding lookup. */
    public boolean startsModel() {
        return first == 0;
    }

    /** Whether this range ends a model of {@code blockCount} layers, so it owns the output head. */
    public boolean endsModel(int blockCount) {
        return last == blockCount - 1;
    }

    /** Checks that the range lies within a model of {@code blockCount} layers. */
    public LayerRange checkWithin(int blockCount) {
        if (last >= blockCount) {
            throw new IllegalArgumentException(
                    "layers " + this + " do not exist: the model has layers 0-" + (blockCount - 1));
        }
        return this;
    }

    @Override
    public String toString() {
        return first + "-" + last;
    }
}
