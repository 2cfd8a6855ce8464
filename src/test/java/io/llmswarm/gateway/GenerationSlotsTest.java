package io.llmswarm.gateway;

import io.llmswarm.gateway.GenerationSlots.Admission;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The places behind both the HTTP limits and the bridge's: node limit first (503), then the
 * client's (429), each refusal with a retry hint; a place given back twice (a bridge stream that is
 * given up and then ends) counts once.
 */
class GenerationSlotsTest {

    @Test
    void theNodeLimitIs503TheClientLimit429AndAPlaceIsGivenBackOnce() {
        GenerationSlots slots = new GenerationSlots(new GatewayLimits(2, 1));
        Admission.Admitted a = assertInstanceOf(Admission.Admitted.class, slots.admit("a"));

        Admission.Refused sameClient = assertInstanceOf(Admission.Refused.class, slots.admit("a"));
        assertEquals(429, sameClient.status());
        assertEquals("too_many_streams", sameClient.openAiCode());
        assertTrue(sameClient.message().contains("max_concurrent_per_client") && sameClient.message().contains("try again in 1 s"),
                sameClient.message());
        assertEquals(1, slots.running(), "a refusal holds no place");

        assertInstanceOf(Admission.Admitted.class, slots.admit("b"));
        Admission.Refused full = assertInstanceOf(Admission.Refused.class, slots.admit("c"));
        assertEquals(503, full.status());
        assertEquals("overloaded", full.openAiCode());
        assertTrue(full.message().contains("limit of 2 generations (max_concurrent)") && full.message().contains("try again in 1 s"),
                full.message());

        a.release().run();
        a.release().run();
        assertEquals(1, slots.running(), "the second release of the same place does nothing");
        assertInstanceOf(Admission.Admitted.class, slots.admit("a"));
        assertInstanceOf(Admission.Refused.class, slots.admit("c"), "still full: the double release freed one place only");
    }
}
