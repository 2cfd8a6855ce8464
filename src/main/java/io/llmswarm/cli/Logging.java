package io.llmswarm.cli;

import ch.qos.logback.classic.Level;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

import java.util.Locale;

/**
 * One logging library for the whole node: SLF4J with Logback ({@code logback.xml}). Hazelcast is
 * told to log through SLF4J and java.util.logging is bridged to it; Vert.x and Netty find SLF4J on
 * their own. {@code --log-level} sets the root level.
 */
final class Logging {

    static final String LEVELS = "error, warn, info, debug, trace or off";

    private Logging() {
    }

    /** Before anything logs (Hazelcast reads its logging type once). */
    static void init() {
        if (System.getProperty("hazelcast.logging.type") == null) {
            System.setProperty("hazelcast.logging.type", "slf4j");
        }
        if (!SLF4JBridgeHandler.isInstalled()) {
            SLF4JBridgeHandler.removeHandlersForRootLogger();
            SLF4JBridgeHandler.install();
        }
    }

    /** Sets the root level: error, warn, info (the default), debug, trace or off. */
    static void level(String name) {
        String wanted = name == null ? "" : name.strip().toUpperCase(Locale.ROOT);
        Level level = Level.toLevel(wanted, null);
        if (level == null || wanted.equals("ALL")) {
            throw new picocli.CommandLine.TypeConversionException("unknown log level '" + name + "': use " + LEVELS);
        }
        Logger root = LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        if (root instanceof ch.qos.logback.classic.Logger logback) {
            logback.setLevel(level);
        }
    }
}
