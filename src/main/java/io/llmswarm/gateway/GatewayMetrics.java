package io.llmswarm.gateway;

import io.llmswarm.coordinator.Generation;
import io.llmswarm.coordinator.GenerationOutcome;
import io.llmswarm.coordinator.ShardTiming;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gateway's own meters, next to Vert.x's HTTP and event-bus ones in the node's registry:
 * requests by endpoint and outcome, tokens generated, time to first token, per-token latency,
 * each shard's per-step latency, and the generations this gateway has in flight.
 */
final class GatewayMetrics {

    static final String REQUESTS = "llmswarm.requests";
    static final String TOKENS = "llmswarm.tokens.generated";
    static final String FIRST_TOKEN = "llmswarm.time.to.first.token";
    static final String TOKEN_LATENCY = "llmswarm.token.latency";
    static final String SHARD_STEP = "llmswarm.shard.step";
    static final String IN_FLIGHT = "llmswarm.generations.in.flight";
    static final String REFUSED = "llmswarm.http.refused";

    private final MeterRegistry registry;
    private final AtomicInteger inFlight = new AtomicInteger();

    GatewayMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder(IN_FLIGHT, inFlight, AtomicInteger::get)
                .description("generations started by this gateway and not finished yet").register(registry);
    }

    /** A request answered before any generation started (bad input, swarm not ready). */
    void rejected(String endpoint) {
        registry.counter(REQUESTS, "endpoint", endpoint, "outcome", "rejected").increment();
    }

    /** A request refused before any work for {@code reason} (e.g. {@code origin}: a foreign web page's). */
    void refused(String reason) {
        registry.counter(REFUSED, "reason", reason).increment();
    }

    /** Counts the generation in flight until its outcome, then records its request, tokens and timings. */
    void track(String endpoint, Generation generation) {
        inFlight.incrementAndGet();
        generation.outcome().onComplete(done -> {
            inFlight.decrementAndGet();
            registry.counter(REQUESTS, "endpoint", endpoint, "outcome", done.succeeded() ? "ok" : "error").increment();
            if (done.succeeded()) {
                record(done.result());
            }
        });
    }

    private void record(GenerationOutcome outcome) {
        int tokens = outcome.tokens().size();
        registry.counter(TOKENS).increment(tokens);
        GenerationOutcome.Timings timings = outcome.timings();
        if (tokens > 0) {
            registry.timer(FIRST_TOKEN).record(Duration.ofNanos(timings.timeToFirstTokenNanos()));
        }
        if (tokens > 1) {
            // The outcome holds the decode time as a whole: each later token is recorded at the mean.
            long perToken = (timings.totalNanos() - timings.timeToFirstTokenNanos()) / (tokens - 1);
            Timer latency = registry.timer(TOKEN_LATENCY);
            for (int i = 1; i < tokens; i++) {
                latency.record(Duration.ofNanos(perToken));
            }
        }
        for (ShardTiming shard : timings.shards()) {
            if (shard.steps() == 0) {
                continue;
            }
            Timer step = registry.timer(SHARD_STEP, "shard", shard.nodeId(), "layers", shard.layers().toString());
            long perStep = shard.roundTripNanos() / shard.steps();
            for (int i = 0; i < shard.steps(); i++) {
                step.record(Duration.ofNanos(perStep));
            }
        }
    }
}
