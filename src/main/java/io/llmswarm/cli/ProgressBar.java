package io.llmswarm.cli;

import java.io.PrintStream;
import java.util.function.IntConsumer;

/** A one-line progress bar on standard error, redrawn in place. */
final class ProgressBar implements IntConsumer {

    private static final int WIDTH = 30;

    private final PrintStream out;
    private final String label;
    private final int total;

    ProgressBar(PrintStream out, String label, int total) {
        this.out = out;
        this.label = label;
        this.total = Math.max(1, total);
    }

    @Override
    public void accept(int done) {
        int filled = (int) ((long) WIDTH * done / total);
        out.print("\r" + label + " [" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + done + "/" + total);
        if (done >= total) {
            out.println();
        }
        out.flush();
    }
}
