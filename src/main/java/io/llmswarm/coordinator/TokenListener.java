package io.llmswarm.coordinator;

/** Hears each generated token as it arrives, on the coordinator's event-loop thread: do not block. */
@FunctionalInterface
public interface TokenListener {

    void onToken(GeneratedToken token);

    static TokenListener none() {
        return token -> { };
    }
}
