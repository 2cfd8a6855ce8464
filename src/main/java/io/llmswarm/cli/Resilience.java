package io.llmswarm.cli;

import io.llmswarm.cluster.HiddenEncoding;

import java.time.Duration;

/**
 * How a node's coordinator runs steps and copes with faults: how hidden states travel between
 * shards (F32 exact, or F16 at half the bytes), how long a one-token step may take through the
 * whole route (longer steps get proportionally more), how long a session may sit idle on a shard before its KV cache is freed
 * (what frees the caches of a coordinator that died), how many times one request may move to a
 * new route, how long a node that failed repeatedly is avoided, and how long a request's pipeline
 * state (what {@code GET /api/requests/{id}} shows after a failure) is kept.
 */
public record Resilience(Duration stepTimeout, Duration sessionIdleTimeout, int maxFailovers, Duration circuitOpenFor,
                         Duration pipelineStateTtl, HiddenEncoding hiddenEncoding) {

    public Resilience {
        requirePositive("step_timeout", stepTimeout);
        requirePositive("session_idle_timeout", sessionIdleTimeout);
        requirePositive("circuit_open_for", circuitOpenFor);
        requirePositive("pipeline_state_ttl", pipelineStateTtl);
        if (hiddenEncoding == null) {
            throw new IllegalArgumentException("hidden_dtype must be f32 or f16");
        }
        if (maxFailovers < 0) {
            throw new IllegalArgumentException("max_failovers must be 0 or more; got " + maxFailovers);
        }
    }

    public static Resilience defaults() {
        return new Resilience(Duration.ofSeconds(60), Duration.ofMinutes(5), 2, Duration.ofSeconds(30),
                Duration.ofMinutes(10), HiddenEncoding.F32);
    }

    public Resilience withPipelineStateTtl(Duration value) {
        return new Resilience(stepTimeout, sessionIdleTimeout, maxFailovers, circuitOpenFor, value, hiddenEncoding);
    }

    public Resilience withHiddenEncoding(HiddenEncoding value) {
        return new Resilience(stepTimeout, sessionIdleTimeout, maxFailovers, circuitOpenFor, pipelineStateTtl, value);
    }

    private static void requirePositive(String key, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(key + " must be a positive duration; got " + value);
        }
    }
}
