package io.llmswarm.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * Clients' faults are the clients' business: bodies left half-sent, connections dropped mid-answer
 * and a bridge frame far over the limit leave the node serving, and log nothing at warn or error
 * level (issue 14: each used to write a SEVERE stack trace).
 */
class ClientFaultLoggingTest {

    @RegisterExtension
    static final GatewaySwarm swarm = GatewaySwarm.ready();

    @Test
    void clientFaultsLogNothingAboveDebug() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.setContext(root.getLoggerContext());
        events.start();
        root.addAppender(events);
        Vertx client = Vertx.vertx();
        try {
            int port = swarm.node(0).httpPort();
            for (int i = 0; i < 16; i++) {
                try (Socket socket = new Socket("127.0.0.1", port)) {
                    OutputStream out = socket.getOutputStream();
                    out.write(("POST /api/inference HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                            + "Content-Length: 4000\r\n\r\n{\"prompt\": \"Once upon").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
                try (Socket socket = new Socket("127.0.0.1", port)) {
                    OutputStream out = socket.getOutputStream();
                    String body = "{\"prompt\": \"Once upon a time\", \"max_tokens\": 60, \"ignore_eos\": true, \"stream\": true}";
                    out.write(("POST /api/inference HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                            + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    socket.getInputStream().read(new byte[64]); // the answer has begun: now go away
                }
            }
            // The dropped streams' sessions are released first, so the bridge's handshake does not race their clean-up.
            swarm.awaitNoSessions();
            WebSocket socket = client.createWebSocketClient().connect(port, "127.0.0.1", "/eventbus/websocket")
                    .await(30, TimeUnit.SECONDS);
            socket.writeFinalTextFrame("{\"type\": \"ping\", \"pad\": \"" + "x".repeat(3 << 20) + "\"}");
            socket.close();
            swarm.awaitNoSessions();
            assertEquals(200, swarm.http(0).get("/health").statusCode());
        } finally {
            root.detachAppender(events);
            client.close();
        }
        List<String> loud = events.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .map(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage()).toList();
        assertTrue(loud.isEmpty(), "logged above debug: " + loud);
    }
}
