package io.llmswarm.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fails a test during which any Vert.x instance in this JVM reported a blocked event loop (its
 * {@code BlockedThreadChecker} warns when an event-loop task runs longer than
 * {@code maxEventLoopExecuteTime}, 2 s by default): a blocking call on an event loop is a bug
 * even when the test's assertions pass. Registered for every test through the service loader
 * ({@code junit.jupiter.extensions.autodetection.enabled}).
 */
public final class BlockedEventLoopGuard implements BeforeEachCallback, AfterEachCallback {

    /** The logger Vert.x's blocked-thread checker writes to. */
    static final String CHECKER = "io.vertx.core.impl.BlockedThreadChecker";

    private static final Collector COLLECTOR = new Collector();

    static {
        Logger checker = (Logger) LoggerFactory.getLogger(CHECKER);
        COLLECTOR.setContext(checker.getLoggerContext());
        COLLECTOR.start();
        checker.addAppender(COLLECTOR);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        COLLECTOR.drain();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        List<String> blocked = COLLECTOR.drain();
        if (!blocked.isEmpty()) {
            fail("an event loop was blocked during " + context.getDisplayName() + ": " + blocked);
        }
    }

    /** What the checker reported since the last drain (and forgets it). */
    static List<String> drain() {
        return COLLECTOR.drain();
    }

    private static final class Collector extends AppenderBase<ILoggingEvent> {
        private final List<String> events = new ArrayList<>();

        @Override
        protected synchronized void append(ILoggingEvent event) {
            if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
                events.add(event.getThreadName() + ": " + event.getFormattedMessage());
            }
        }

        synchronized List<String> drain() {
            List<String> copy = List.copyOf(events);
            events.clear();
            return copy;
        }
    }
}
