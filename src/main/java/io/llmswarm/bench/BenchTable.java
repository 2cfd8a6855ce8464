package io.llmswarm.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Renders benchmark rows as Markdown: the figures of every row, then the Java engine's rows over
 * each llama.cpp build's, then what failed, which engines the children said they ran, and any
 * prompt whose token ids differ between backends (their speeds would not be comparable).
 */
final class BenchTable {

    private static final int FIGURE_COLUMNS = 8; // the figures table's columns after type, backend and weights

    private BenchTable() {
    }

    static String markdown(List<BenchRow> rows, double bandwidthGbPerSecond, int shortPrompt, int longPrompt) {
        StringBuilder table = new StringBuilder();
        Backend textReference = textReference(rows);
        table.append("| type | backend | weights read/token GB | prompt tok/s (").append(longPrompt)
                .append(" tokens) | decode tok/s | TTFT ms (").append(shortPrompt)
                .append(" tokens) | peak RSS MiB | weights GB/s in decode | % of bandwidth | bandwidth-bound tok/s | same text as ")
                .append(textReference == null ? "llama.cpp" : textReference.label()).append(" (short, long prompt) |\n");
        table.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (BenchRow row : rows) {
            table.append("| ").append(row.type()).append(" | ").append(row.contender().label()).append(" | ")
                    .append(format(row.weights().bytesReadPerToken() / 1e9, 3)).append(" | ");
            if (!row.succeeded()) {
                table.append("failed (see below) |").append(" |".repeat(FIGURE_COLUMNS - 1)).append('\n');
                continue;
            }
            double decode = row.shortPrompt().decodeTokensPerSecond();
            double weightsGbPerSecond = decode * row.weights().bytesReadPerToken() / 1e9;
            table.append(format(row.longPrompt().promptTokensPerSecond(), 1)).append(" | ")
                    .append(format(decode, 1)).append(" | ")
                    .append(format(row.shortPrompt().timeToFirstTokenMs(), 0)).append(" | ")
                    .append(format(row.peakRssMib(), 0)).append(" | ")
                    .append(format(weightsGbPerSecond, 1)).append(" | ")
                    .append(format(100 * weightsGbPerSecond / bandwidthGbPerSecond, 0)).append("% | ")
                    .append(format(row.weights().bandwidthBoundTokensPerSecond(bandwidthGbPerSecond), 1)).append(" | ")
                    .append(sameText(row, reference(rows, row, textReference))).append(" |\n");
        }
        appendRatios(table, rows);
        for (BenchRow row : rows) {
            if (!row.succeeded()) {
                table.append("\n").append(row.type()).append(" on ").append(row.contender().label())
                        .append(" failed: ").append(row.error()).append('\n');
            }
        }
        appendEngines(table, rows);
        appendSameBuildAgreement(table, rows);
        appendPromptMismatches(table, rows);
        return table.toString();
    }

    /**
     * The Java engine's rows over each llama.cpp build's of the same type: above 1 is better for
     * the speeds, below 1 for time to first token and memory. Weights GB/s and % of bandwidth go
     * as decode speed, since both engines read the same weights per token.
     */
    private static void appendRatios(StringBuilder table, List<BenchRow> rows) {
        StringBuilder lines = new StringBuilder();
        for (BenchRow row : rows) {
            if (row.backend() != Backend.JAVA || !row.succeeded()) {
                continue;
            }
            for (BenchRow reference : llamaCppRows(rows, row)) {
                lines.append("| ").append(row.type()).append(" | ").append(row.contender().label()).append(" | ")
                        .append(reference.contender().label()).append(" | ")
                        .append(ratio(row.shortPrompt().decodeTokensPerSecond(), reference.shortPrompt().decodeTokensPerSecond()))
                        .append(" | ")
                        .append(ratio(row.longPrompt().promptTokensPerSecond(), reference.longPrompt().promptTokensPerSecond()))
                        .append(" | ")
                        .append(ratio(row.shortPrompt().timeToFirstTokenMs(), reference.shortPrompt().timeToFirstTokenMs()))
                        .append(" | ")
                        .append(ratio(row.peakRssMib(), reference.peakRssMib())).append(" |\n");
            }
        }
        if (!lines.isEmpty()) {
            table.append("\nThe Java engine over llama.cpp (decode and prompt: higher is better; TTFT and peak RSS: lower is better):\n\n")
                    .append("| type | Java engine | against | decode tok/s | prompt tok/s | TTFT | peak RSS |\n")
                    .append("|---|---|---|---:|---:|---:|---:|\n")
                    .append(lines);
        }
    }

    /**
     * The succeeded rows of the llama.cpp builds for {@code row}'s type, b4916's first, then the
     * current build's (one per driver where it ran through both).
     */
    private static List<BenchRow> llamaCppRows(List<BenchRow> rows, BenchRow row) {
        List<BenchRow> found = new ArrayList<>();
        for (Backend llamaCpp : List.of(Backend.LLAMA_CPP, Backend.LLAMA_CPP_CURRENT)) {
            for (BenchRow candidate : rows) {
                if (candidate.type() == row.type() && candidate.backend() == llamaCpp && candidate.succeeded()) {
                    found.add(candidate);
                }
            }
        }
        return found;
    }

    /**
     * Where a llama.cpp build ran more than once per type (llama.cpp-current through node and the
     * native driver): whether the later rows saw the prompt ids and made the token ids of the first.
     */
    private static void appendSameBuildAgreement(StringBuilder table, List<BenchRow> rows) {
        for (BenchRow row : rows) {
            if (!row.backend().isLlamaCpp() || !row.succeeded()) {
                continue;
            }
            BenchRow first = reference(rows, row, row.backend());
            if (first == row) {
                continue;
            }
            boolean samePrompts = Arrays.equals(row.shortPrompt().promptTokens(), first.shortPrompt().promptTokens())
                    && Arrays.equals(row.longPrompt().promptTokens(), first.longPrompt().promptTokens());
            boolean sameTokens = Arrays.equals(row.shortPrompt().tokens(), first.shortPrompt().tokens())
                    && Arrays.equals(row.longPrompt().tokens(), first.longPrompt().tokens());
            table.append("\n").append(row.type()).append(": ").append(row.contender().label()).append(" against ")
                    .append(first.contender().label()).append(": ")
                    .append(samePrompts ? "the same" : "other").append(" prompt token ids, ")
                    .append(sameTokens ? "the same" : "other").append(" generated token ids (both prompts)\n");
        }
    }

    /** What the children said they ran (llama.cpp-current names its llama.cpp release and CPU variant). */
    private static void appendEngines(StringBuilder table, List<BenchRow> rows) {
        Set<String> engines = new LinkedHashSet<>();
        for (BenchRow row : rows) {
            if (row.succeeded() && row.shortPrompt().engine() != null) {
                engines.add(row.contender().label() + ": " + row.shortPrompt().engine());
            }
        }
        if (!engines.isEmpty()) {
            table.append('\n');
            engines.forEach(engine -> table.append(engine).append('\n'));
        }
    }

    /** Every backend should have seen the prompt ids of the first row of its type; says where one did not. */
    private static void appendPromptMismatches(StringBuilder table, List<BenchRow> rows) {
        for (BenchRow row : rows) {
            BenchRow first = rows.stream().filter(r -> r.type() == row.type() && r.succeeded()).findFirst().orElse(null);
            if (!row.succeeded() || first == row) {
                continue;
            }
            if (!Arrays.equals(row.shortPrompt().promptTokens(), first.shortPrompt().promptTokens())
                    || !Arrays.equals(row.longPrompt().promptTokens(), first.longPrompt().promptTokens())) {
                table.append("\n").append(row.type()).append(": ").append(row.contender().label())
                        .append(" saw other prompt token ids than ").append(first.contender().label()).append(" (")
                        .append(row.shortPrompt().promptTokens().length).append(" and ")
                        .append(row.longPrompt().promptTokens().length).append(" ids against ")
                        .append(first.shortPrompt().promptTokens().length).append(" and ")
                        .append(first.longPrompt().promptTokens().length).append(")\n");
            }
        }
    }

    /** The backend whose greedy text the others are compared with: llama.cpp b4916 where it ran, else the current one. */
    private static Backend textReference(List<BenchRow> rows) {
        for (Backend backend : List.of(Backend.LLAMA_CPP, Backend.LLAMA_CPP_CURRENT)) {
            if (rows.stream().anyMatch(row -> row.backend() == backend)) {
                return backend;
            }
        }
        return null;
    }

    /** The succeeded row of {@code backend} for {@code row}'s type, or null. */
    private static BenchRow reference(List<BenchRow> rows, BenchRow row, Backend backend) {
        for (BenchRow candidate : rows) {
            if (candidate.type() == row.type() && candidate.backend() == backend && candidate.succeeded()) {
                return candidate;
            }
        }
        return null;
    }

    private static String ratio(double value, double reference) {
        return format(value / reference, 2) + "×";
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
