package io.llmswarm.coordinator;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * What went wrong with shards while this coordinator drove its requests: steps that timed out,
 * shards that answered with an error, results rejected as invalid (shape, NaN/Inf, token id),
 * routes lost with a member that left, and the fail-overs that followed.
 */
public final class FaultCounters {

    static final String METER = "llmswarm.shard.faults";
    static final String FAILOVERS = "llmswarm.failovers";

    /** Why a step did not give a usable result. */
    public enum Kind {
        TIMEOUT, ERROR, INVALID_RESULT, MEMBER_LEFT, CIRCUIT_OPEN;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final LongAdder[] faults = new LongAdder[Kind.values().length];
    private final LongAdder failovers = new LongAdder();

    public FaultCounters() {
        for (int i = 0; i < faults.length; i++) {
            faults[i] = new LongAdder();
        }
    }

    void fault(Kind kind) {
        faults[kind.ordinal()].increment();
    }

    void failover() {
        failovers.increment();
    }

    public long count(Kind kind) {
        return faults[kind.ordinal()].sum();
    }

    public long failovers() {
        return failovers.sum();
    }

    /** Shows the counts in a registry ({@code llmswarm_shard_faults_total{kind=…}}, {@code llmswarm_failovers_total}). */
    public void bindTo(MeterRegistry registry) {
        for (Kind kind : Kind.values()) {
            FunctionCounter.builder(METER, faults[kind.ordinal()], LongAdder::sum).tag("kind", kind.tag())
                    .description("shard steps that gave no usable result, by kind").register(registry);
        }
        FunctionCounter.builder(FAILOVERS, failovers, LongAdder::sum)
                .description("requests moved to a new route after a shard fault").register(registry);
    }
}
