package io.llmswarm.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/** Reads Server-Sent Events from a response body, one event at a time (comments and ids ignored). */
final class ServerSentEvents {

    /** One event: its name ("message" when unnamed) and its data lines joined by newlines. */
    record Event(String name, String data) {
    }

    private final BufferedReader reader;

    ServerSentEvents(InputStream body) {
        this.reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
    }

    /** The next event, or null when the stream ends. */
    Event next() throws IOException {
        String name = null;
        StringBuilder data = null;
        for (String line; (line = reader.readLine()) != null; ) {
            if (line.isEmpty()) {
                if (data != null) {
                    return new Event(name == null ? "message" : name, data.toString());
                }
                name = null;
            } else if (line.startsWith("event:")) {
                name = value(line, "event:");
            } else if (line.startsWith("data:")) {
                data = data == null ? new StringBuilder() : data.append('\n');
                data.append(value(line, "data:"));
            }
        }
        return data == null ? null : new Event(name == null ? "message" : name, data.toString());
    }

    private static String value(String line, String field) {
        String value = line.substring(field.length());
        return value.startsWith(" ") ? value.substring(1) : value;
    }
}
