package io.llmswarm.coordinator;

import java.util.List;

/**
 * The text of a generation as it streams: each piece is appended, and when a stop string appears
 * (possibly across pieces) the text is cut before it and the generation is over. Tells each
 * token what it adds to the visible text.
 */
final class StreamedText {

    private final StringBuilder text = new StringBuilder();
    private final List<String> stopStrings;
    private boolean stopped;

    StreamedText(List<String> stopStrings) {
        this.stopStrings = List.copyOf(stopStrings);
    }

    /** Appends a piece; returns what it adds to the visible text (less, or nothing, at a stop string). */
    String append(String piece) {
        int before = text.length();
        text.append(piece);
        int cut = -1;
        for (String stop : stopStrings) {
            int at = text.indexOf(stop, Math.max(0, before - stop.length() + 1));
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        if (cut >= 0) {
            text.setLength(cut);
            stopped = true;
        }
        return text.substring(Math.min(before, text.length()));
    }

    /** True once a stop string appeared. */
    boolean stopped() {
        return stopped;
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
