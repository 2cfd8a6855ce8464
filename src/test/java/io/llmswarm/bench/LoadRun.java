package io.llmswarm.bench;

import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Streaming clients against one node's {@code POST /api/inference}: each sends a chat-formatted
 * question about a word, reads the Server-Sent Events as they come, and notes when the first
 * token and each later one arrived; then asks again, until the time or the request count is up.
 */
final class LoadRun {

    private static final String[] WORDS = {"a computer", "a river", "music", "a bridge", "a dog", "the sun", "bread",
            "a library", "a storm", "mathematics", "a garden", "a ship", "history", "a mountain", "language", "a clock"};

    /**
     * Latencies in nanoseconds, in a histogram of fixed size (three significant digits, up to ten
     * minutes), so that a long soak's record of them does not grow the heap it measures
     * (HdrHistogram, which comes with Micrometer).
     */
    static final class Samples {
        private final org.HdrHistogram.Histogram values = new org.HdrHistogram.Histogram(
                TimeUnit.MINUTES.toNanos(10), 3);

        synchronized void add(long nanos) {
            values.recordValue(Math.max(0, Math.min(nanos, values.getHighestTrackableValue())));
        }

        /** The p-th percentile in milliseconds, 0 when empty. */
        synchronized double percentile(double p) {
            return values.getTotalCount() == 0 ? 0 : values.getValueAtPercentile(p) / 1e6;
        }
    }

    record Report(int ok, int failed, long tokens, double seconds, Samples ttft, Samples interToken,
                  Map<String, Integer> failures, Map<String, Integer> routedThrough) {
    }

    private final URI target;
    private final String apiKey;
    private final int maxTokens;
    private static final Pattern ROUTE_NODE = Pattern.compile("([0-9a-f-]{36})\\[");
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    LoadRun(URI target, String apiKey, int maxTokens) {
        this.target = target;
        this.apiKey = apiKey;
        this.maxTokens = maxTokens;
    }

    /** A few requests first, so the run does not measure the JIT. */
    void warmUp(int requests) throws InterruptedException {
        run(requests, Duration.ofSeconds(20), requests * 3);
    }

    Report run(int clients, Duration duration, int maxRequests) throws InterruptedException {
        Samples ttft = new Samples();
        Samples interToken = new Samples();
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicInteger started = new AtomicInteger();
        AtomicLong tokens = new AtomicLong();
        Map<String, Integer> failures = new ConcurrentHashMap<>();
        Map<String, Integer> routedThrough = new ConcurrentHashMap<>();
        long start = System.nanoTime();
        long deadline = start + duration.toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Random random = new Random(c);
            threads.add(Thread.ofVirtual().start(() -> {
                while (System.nanoTime() < deadline && started.incrementAndGet() <= maxRequests) {
                    String failure = one(random, ttft, interToken, tokens, routedThrough);
                    if (failure == null) {
                        ok.incrementAndGet();
                    } else {
                        failed.incrementAndGet();
                        failures.merge(failure, 1, Integer::sum);
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        return new Report(ok.get(), failed.get(), tokens.get(), (System.nanoTime() - start) / 1e9, ttft, interToken,
                Map.copyOf(failures), Map.copyOf(routedThrough));
    }

    /**
     * One streamed request; null when it ended with its done event and the tokens streamed are
     * exactly the answer's (none lost, none repeated, even across a fail-over), else a short reason.
     * Counts the nodes of the answer's route in {@code routedThrough}.
     */
    private String one(Random random, Samples ttft, Samples interToken, AtomicLong tokens,
                       Map<String, Integer> routedThrough) {
        String question = "<|user|>\nWhat is " + WORDS[random.nextInt(WORDS.length)] + "?</s>\n<|assistant|>\n";
        JsonObject body = new JsonObject().put("prompt", question).put("raw", true).put("max_tokens", maxTokens)
                .put("temperature", 0.7).put("seed", random.nextInt(1 << 20)).put("stream", true);
        HttpRequest.Builder request = HttpRequest.newBuilder(target.resolve("/api/inference"))
                .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
        if (apiKey != null) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        long sent = System.nanoTime();
        try {
            HttpResponse<Stream<String>> response = http.send(request.build(),
                    HttpResponse.BodyHandlers.ofLines());
            if (response.statusCode() != 200) {
                response.body().close();
                return "HTTP " + response.statusCode();
            }
            long last = 0;
            String event = null;
            List<Integer> streamed = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            Iterator<String> lines = response.body().iterator();
            while (lines.hasNext()) {
                String line = lines.next();
                if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    if ("done".equals(event)) {
                        JsonObject done = new JsonObject(line.substring(6));
                        List<Integer> answer = new ArrayList<>();
                        done.getJsonArray("tokens").forEach(id -> answer.add(((Number) id).intValue()));
                        Matcher node = ROUTE_NODE.matcher(done.getJsonObject("metadata").getString("route", ""));
                        while (node.find()) {
                            routedThrough.merge(node.group(1), 1, Integer::sum);
                        }
                        if (answer.isEmpty() && streamed.stream().allMatch(id -> id < 0)) {
                            // A llama.cpp replica streams text without token ids: its pieces must make the answer.
                            return text.toString().equals(done.getString("result")) ? null
                                    : "text lost or repeated: streamed '" + text + "', answer '" + done.getString("result") + "'";
                        }
                        return answer.equals(streamed) ? null : "tokens lost or repeated: streamed " + streamed.size()
                                + ", answer " + answer.size();
                    }
                    if ("error".equals(event)) {
                        return "error event: " + line.substring(6);
                    }
                    long now = System.nanoTime();
                    if (last == 0) {
                        ttft.add(now - sent);
                    } else {
                        interToken.add(now - last);
                    }
                    last = now;
                    tokens.incrementAndGet();
                    JsonObject piece = new JsonObject(line.substring(6));
                    streamed.add(piece.getInteger("id"));
                    text.append(piece.getString("text", ""));
                } else if (line.isEmpty()) {
                    event = null;
                }
            }
            return "stream ended without a done event";
        } catch (Exception e) {
            return e.getClass().getSimpleName();
        }
    }
}
