package io.llmswarm.gateway;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * Vert.x's SockJS bridge logs every fault of a client's socket (a frame over the size limit, a
 * dropped connection) as an error with a stack trace. Those are the client's faults: this filter
 * (installed by {@code logback.xml}) turns them into one debug line of the gateway's own.
 */
public final class ClientFaultLogFilter extends TurboFilter {

    private static final String BRIDGE_LOGGER = "io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl";
    private static final org.slf4j.Logger CLIENTS = LoggerFactory.getLogger("io.llmswarm.gateway.clients");

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        if (logger != null && BRIDGE_LOGGER.equals(logger.getName()) && "SockJSSocket exception".equals(format)) {
            CLIENTS.debug("bridge client's socket: {}", String.valueOf(t));
            return FilterReply.DENY;
        }
        return FilterReply.NEUTRAL;
    }
}
