package io.llmswarm.bench;

import java.util.List;
import java.util.Locale;

/** Renders benchmark rows as the Markdown table the README shows. */
final class BenchTable {

    private BenchTable() {
    }

    static String markdown(List<BenchRow> rows, double bandwidthGbPerSecond, int shortPrompt, int longPrompt) {
        StringBuilder table = new StringBuilder();
        table.append("| type | backend | weights read/token GB | prompt tok/s (").append(longPrompt)
                .append(" tokens) | decode tok/s | TTFT ms (").append(shortPrompt)
                .append(" tokens) | peak RSS MiB | bandwidth-bound tok/s | decode vs llama.cpp | same text as llama.cpp (short, long prompt) |\n");
        table.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (BenchRow row : rows) {
            table.append("| ").append(row.type()).append(" | ").append(row.backend().label()).append(" | ")
                    .append(format(row.weights().bytesReadPerToken() / 1e9, 3)).append(" | ");
            if (!row.succeeded()) {
                table.append("failed (see below) | | | | | | |\n");
                continue;
            }
            BenchRow reference = llamaCppRow(rows, row);
            table.append(format(row.longPrompt().promptTokensPerSecond(), 1)).append(" | ")
                    .append(format(row.shortPrompt().decodeTokensPerSecond(), 1)).append(" | ")
                    .append(format(row.shortPrompt().timeToFirstTokenMs(), 0)).append(" | ")
                    .append(format(row.peakRssMib(), 0)).append(" | ")
                    .append(format(row.weights().bandwidthBoundTokensPerSecond(bandwidthGbPerSecond), 1)).append(" | ")
                    .append(ratio(row, reference)).append(" | ")
                    .append(sameText(row, reference)).append(" |\n");
        }
        for (BenchRow row : rows) {
            if (!row.succeeded()) {
                table.append("\n").append(row.type()).append(" on ").append(row.backend().label())
                        .append(" failed: ").append(row.error()).append('\n');
            }
        }
        return table.toString();
    }

    private static BenchRow llamaCppRow(List<BenchRow> rows, BenchRow row) {
        for (BenchRow candidate : rows) {
            if (candidate.type() == row.type() && candidate.backend() == Backend.LLAMA_CPP && candidate.succeeded()) {
                return candidate;
            }
        }
        return null;
    }

    private static String ratio(BenchRow row, BenchRow reference) {
        if (reference == null) {
            return "–";
        }
        return format(row.shortPrompt().decodeTokensPerSecond() / reference.shortPrompt().decodeTokensPerSecond(), 2) + "×";
    }

    private static String sameText(BenchRow row, BenchRow reference) {
        if (reference == null || reference == row) {
            return "–";
        }
        return agreement(row.shortPrompt().text(), reference.shortPrompt().text()) + ", "
                + agreement(row.longPrompt().text(), reference.longPrompt().text());
    }

    /** "yes", or how many leading characters agree: where greedy texts part shows how close two engines are. */
    private static String agreement(String ours, String reference) {
        if (ours.equals(reference)) {
            return "yes";
        }
        int common = 0;
        while (common < ours.length() && common < reference.length() && ours.charAt(common) == reference.charAt(common)) {
            common++;
        }
        return "first " + common + "/" + reference.length() + " chars";
    }

    private static String format(double value, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }
}
