package io.llmswarm.cli;

import io.llmswarm.client.ChatRequest;
import io.llmswarm.client.ChatResult;
import io.llmswarm.client.ClientSettings;
import io.llmswarm.client.InferenceRequest;
import io.llmswarm.client.PipelineState;
import io.llmswarm.client.SwarmClient;
import io.llmswarm.client.SwarmClientException;
import io.llmswarm.client.TokenStream;
import io.llmswarm.tokenizer.ChatMessage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code node chat}: a terminal chat with a running swarm node, through {@link SwarmClient}. Each
 * line read from standard input is a prompt; the answer streams to standard output token by token,
 * and a summary (route, tokens, latency) follows on standard error. {@code --prompt} answers once.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Chat with a running node: prompts from stdin (one per line) or --prompt, answers streamed "
                + "to stdout, a route/latency summary per answer on stderr.")
public final class ChatCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--url", defaultValue = ClientSettings.DEFAULT_URL,
            description = "The node to talk to (any node of the swarm); HOST:PORT means http://HOST:PORT. "
                    + "Default: ${DEFAULT-VALUE}")
    String url;

    @Option(names = "--prompt", description = "Answer this prompt once and exit, instead of reading stdin.")
    String prompt;

    @Option(names = "--max-tokens", description = "Tokens per answer at most. Default: the node's (128 for a prompt, "
            + "the rest of the context with --chat-format).")
    Integer maxTokens;

    @Option(names = "--temperature", defaultValue = "0.8", description = "0 is greedy. Default: ${DEFAULT-VALUE}")
    double temperature;

    @Option(names = "--seed", description = "Sampling seed, for answers that repeat (default: a fresh one each time; "
            + "the summary line shows it).")
    Long seed;

    @Option(names = "--system", description = "A system message put before each prompt in the model's chat template.")
    String system;

    @Option(names = "--raw", description = "Send each prompt to the model as it is, without the model's chat template.")
    boolean raw;

    @Option(names = "--chat-format",
            description = "Send each prompt as a user message to /v1/chat/completions (the OpenAI API) instead of "
                    + "/api/inference; both put it into the model's chat template.")
    boolean chatFormat;

    @Option(names = "--api-key", defaultValue = "${env:LLMSWARM_API_KEY}",
            description = "Sent as 'Authorization: Bearer KEY' (default: $LLMSWARM_API_KEY).")
    String apiKey;

    private static final int FINAL_STATE_POLLS = 20;
    private static final long FINAL_STATE_POLL_MILLIS = 50;

    /** Where prompts come from; tests replace it. */
    InputStream input = System.in;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (raw && (system != null || chatFormat)) {
            err.println("error: --raw sends the prompt without the chat template, which --system and --chat-format need");
            return 2;
        }
        ClientSettings settings;
        try {
            settings = ClientSettings.of(url).withApiKey(apiKey);
        } catch (IllegalArgumentException e) {
            err.println("error: --url " + e.getMessage());
            return 2;
        }
        AtomicReference<TokenStream<?>> current = new AtomicReference<>();
        // Ctrl-C stops the answer on the swarm too, not only here.
        Thread cancelOnExit = new Thread(() -> {
            TokenStream<?> stream = current.get();
            if (stream != null) {
                stream.cancel();
            }
        });
        Runtime.getRuntime().addShutdownHook(cancelOnExit);
        try (SwarmClient client = SwarmClient.create(settings)) {
            ChatTurn turn = new ChatTurn(client, out, err, current);
            if (prompt != null) {
                return turn.answer(prompt, this) ? 0 : 1;
            }
            boolean allAnswered = true;
            BufferedReader lines = new BufferedReader(new InputStreamReader(input, StandardCharsets.UTF_8));
            boolean terminal = System.console() != null;
            while (true) {
                if (terminal) {
                    err.print("> ");
                    err.flush();
                }
                String line = lines.readLine();
                if (line == null || line.strip().equals("/exit")) {
                    return allAnswered ? 0 : 1;
                }
                if (!line.isBlank()) {
                    allAnswered &= turn.answer(line, this);
                }
            }
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(cancelOnExit);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: nothing to remove
            }
        }
    }

    InferenceRequest inferenceRequest(String text) {
        InferenceRequest request = InferenceRequest.of(text).withTemperature(temperature).withRaw(raw);
        request = system == null ? request : request.withSystem(system);
        request = maxTokens == null ? request : request.withMaxTokens(maxTokens);
        return seed == null ? request : request.withSeed(seed);
    }

    ChatRequest chatRequest(String text) {
        ChatRequest request = system == null ? ChatRequest.of(text)
                : new ChatRequest(List.of(new ChatMessage("system", system),
                        new ChatMessage("user", text)), null, null, null);
        request = request.withTemperature(temperature);
        request = maxTokens == null ? request : request.withMaxTokens(maxTokens);
        return seed == null ? request : request.withSeed(seed);
    }

    /** One prompt, its streamed answer and its summary line; failures are reported, not thrown. */
    private record ChatTurn(SwarmClient client, PrintWriter out, PrintWriter err,
                            AtomicReference<TokenStream<?>> current) {

        boolean answer(String text, ChatCommand options) throws InterruptedException {
            try {
                String summary;
                if (options.chatFormat) {
                    long start = System.nanoTime();
                    var stream = client.streamChat(options.chatRequest(text), this::print);
                    current.set(stream);
                    ChatResult result = stream.await();
                    double elapsedMs = (System.nanoTime() - start) / 1e6;
                    summary = ChatSummary.of(result, elapsedMs, routeOf(result));
                } else {
                    var stream = client.stream(options.inferenceRequest(text), token -> print(token.text()));
                    current.set(stream);
                    summary = ChatSummary.of(stream.await());
                }
                out.println();
                out.flush();
                err.println(summary);
                err.flush();
                return true;
            } catch (SwarmClientException | CancellationException e) {
                out.flush();
                err.println("error: " + e.getMessage());
                err.flush();
                return false;
            } finally {
                current.set(null);
            }
        }

        /**
         * The swarm's record of the request, for its route and hop times; none when the node keeps
         * no such record. The final record is written as the answer ends, so wait a moment for it.
         */
        private Optional<PipelineState> routeOf(ChatResult result) throws InterruptedException {
            if (result.requestId() == null) {
                return Optional.empty();
            }
            try {
                Optional<PipelineState> state = client.pipelineState(result.requestId());
                for (int i = 0; i < FINAL_STATE_POLLS && state.isPresent() && !state.get().isFinal(); i++) {
                    Thread.sleep(FINAL_STATE_POLL_MILLIS);
                    state = client.pipelineState(result.requestId());
                }
                return state;
            } catch (SwarmClientException e) {
                return Optional.empty();
            }
        }

        private void print(String piece) {
            out.print(piece);
            out.flush();
        }
    }
}
