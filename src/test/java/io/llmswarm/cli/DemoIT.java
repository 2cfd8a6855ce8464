package io.llmswarm.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code java -jar node.jar demo} as a user runs it: four shard nodes of the shipped model in one
 * process, the gateway on a port, the documents' question answered through all four, the URL
 * printed, and requests answered while it runs.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DemoIT {

    @TempDir
    Path cache;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @Test
    void fourShardsAnswerTheQuestionAndKeepServing() throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-jar", NodeProcesses.nodeJar().toString(), "demo", "--http-port", "0", "--threads", "1"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("XDG_CACHE_HOME", cache.toString());
        Process process = builder.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            StringBuilder printed = new StringBuilder();
            String url = null;
            for (String line; url == null && (line = out.readLine()) != null; ) {
                printed.append(line).append('\n');
                if (line.startsWith("web UI and API: ")) {
                    url = line.substring("web UI and API: ".length()).strip();
                }
            }
            assertNotNull(url, "the demo printed no URL:\n" + printed);
            String text = printed.toString();
            assertEquals(4, text.lines().filter(line -> line.strip().startsWith("node ")).count(), text);
            assertTrue(text.contains("layers 0-1") && text.contains("layers 6-7"), text);
            String answer = text.lines().filter(line -> line.startsWith("answer: ")).findFirst().orElseThrow();
            assertTrue(answer.contains("computer"), answer);
            assertTrue(text.lines().filter(line -> line.strip().startsWith("shard ")).count() == 4, text);

            HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("<html") && page.body().contains("app.js"), "the web UI at " + url);

            JsonObject swarm = get(url + "api/swarm");
            assertTrue(swarm.getBoolean("ready"), swarm.encodePrettily());
            assertEquals(4, swarm.getJsonArray("shards").size(), swarm.encodePrettily());

            JsonObject chat = post(url + "v1/chat/completions", new JsonObject().put("max_tokens", 40)
                    .put("temperature", 0).put("messages", new JsonArray().add(new JsonObject().put("role", "user")
                            .put("content", "What is artificial intelligence?"))));
            String content = chat.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content");
            assertTrue(answer.contains(content.strip()), "chat answer '" + content + "' vs the demo's " + answer);

            // SIGTERM, as to any service: the demo drains (nothing runs) and exits 0.
            new ProcessBuilder("kill", "-TERM", String.valueOf(process.pid())).start().waitFor(10, TimeUnit.SECONDS);
            String rest = out.lines().collect(Collectors.joining("\n"));
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the demo stops after SIGTERM");
            assertEquals(0, process.exitValue(), rest);
            assertTrue(rest.contains("stopping: running answers may finish"), rest);
        } finally {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
        }
    }

    private JsonObject get(String url) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return new JsonObject(response.body());
    }

    private JsonObject post(String url, JsonObject body) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode()))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return new JsonObject(response.body());
    }
}
