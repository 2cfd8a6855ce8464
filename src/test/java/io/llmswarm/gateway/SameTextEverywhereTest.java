package io.llmswarm.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmswarm.cli.Cli;
import io.llmswarm.inference.BundledModel;
import io.llmswarm.llamacpp.LlamaCppModel;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One detokenizer: the same greedy tokens give llama.cpp's own text, leading space of the first
 * piece included, from the {@code generate} command, {@code /api/inference} whole and streamed,
 * {@code /v1/completions} and the event-bus bridge.
 */
class SameTextEverywhereTest {

    @RegisterExtension
    static final GatewaySwarm swarm = GatewaySwarm.readyWithDemoModel();

    /** A raw continuation whose first generated piece starts a new word, so it begins with a space. */
    private static final String PROMPT = "What is a";
    private static final int TOKENS = 12;

    @Test
    void everyFrontEndGivesLlamaCppsText() throws Exception {
        JsonObject request = new JsonObject().put("prompt", PROMPT).put("raw", true).put("max_tokens", TOKENS)
                .put("temperature", 0).put("ignore_eos", true);
        JsonObject whole = new JsonObject(swarm.http(0).post("/api/inference", request.encode()).body());
        int[] tokens = whole.getJsonArray("tokens").stream().mapToInt(t -> ((Number) t).intValue()).toArray();
        assertEquals(TOKENS, tokens.length, whole.encode());
        // llama.cpp's text for these tokens: each token's piece, as its server and CLI print them.
        Files.createDirectories(Path.of(System.getProperty("de.kherud.llama.tmpdir", "target/native")));
        String llamaCpp;
        try (LlamaCppModel model = LlamaCppModel.load(BundledModel.path(), 1)) {
            llamaCpp = model.decode(tokens);
        }
        assertTrue(llamaCpp.startsWith(" "), "llama.cpp keeps the first piece's space: '" + llamaCpp + "'");
        assertEquals(llamaCpp, whole.getString("result"), whole.encode());

        String stream = swarm.http(1).post("/api/inference", request.copy().put("stream", true).encode()).body();
        StringBuilder streamed = new StringBuilder();
        stream.lines().filter(line -> line.startsWith("data: {\"index\""))
                .forEach(line -> streamed.append(new JsonObject(line.substring(6)).getString("text")));
        assertEquals(llamaCpp, streamed.toString(), stream);

        JsonObject completion = new JsonObject(swarm.http(0).post("/v1/completions", new JsonObject().put("prompt", PROMPT)
                .put("max_tokens", TOKENS).put("temperature", 0).put("ignore_eos", true).encode()).body());
        assertEquals(llamaCpp, completion.getJsonArray("choices").getJsonObject(0).getString("text"), completion.encode());

        try (BridgeClient client = swarm.bridge(1)) {
            BridgeClient.Started started = client.startStream(request);
            List<JsonObject> messages = client.readStream(started.address());
            JsonObject done = messages.removeLast();
            StringBuilder bridged = new StringBuilder();
            messages.forEach(m -> bridged.append(m.getString("text")));
            assertEquals(llamaCpp, bridged.toString());
            assertEquals(llamaCpp, done.getString("result"));
        }

        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int status;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            status = Cli.run("generate", "--prompt", PROMPT, "--no-chat", "--json", "--max-tokens", Integer.toString(TOKENS),
                    "--temperature", "0", "--ignore-eos", "--threads", "1");
        } finally {
            System.setOut(stdout);
        }
        assertEquals(0, status, captured.toString(StandardCharsets.UTF_8));
        String json = captured.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow();
        assertEquals(llamaCpp, new JsonObject(json).getString("text"), json);
    }
}
