package io.llmswarm.client;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * A small Java client of a swarm node's HTTP API. {@link #infer} asks {@code POST /api/inference}
 * and waits for the whole answer; {@link #stream} delivers each token as the node samples it
 * (Server-Sent Events) and then the answer with its metadata; {@link #streamChat} does the same
 * for a conversation through {@code POST /v1/chat/completions}, which renders the model's chat
 * template; {@link #pipelineState} reads a request's state and route. Refusals and failures
 * throw {@link SwarmClientException} with the node's message. One client may serve many threads
 * and streams at once; close it when done.
 */
public final class SwarmClient implements AutoCloseable {

    private static final String INFERENCE = "/api/inference";
    private static final String CHAT = "/v1/chat/completions";
    private static final String REQUESTS = "/api/requests/";
    private static final String REQUEST_ID_HEADER = "X-Request-Id";

    private final ClientSettings settings;
    private final HttpClient http;

    private SwarmClient(ClientSettings settings, HttpClient http) {
        this.settings = settings;
        this.http = http;
    }

    public static SwarmClient create(ClientSettings settings) {
        // HTTP/1.1: closing a stream's connection is how the node learns to stop generating.
        HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.connectTimeout());
        if (settings.tls() != null) {
            builder.sslContext(settings.tls());
        }
        HttpClient http = builder.build();
        return new SwarmClient(settings, http);
    }

    public static SwarmClient create(String baseUrl) {
        return create(ClientSettings.of(baseUrl));
    }

    public ClientSettings settings() {
        return settings;
    }

    /** Asks for the whole answer and waits for it. */
    public InferenceResult infer(InferenceRequest request) throws InterruptedException {
        try {
            return answer(http.send(post(INFERENCE, request.toJson(false), false), HttpResponse.BodyHandlers.ofString()));
        } catch (IOException e) {
            throw unreachable(e);
        }
    }

    /** As {@link #infer}, without holding a thread while the swarm works. */
    public CompletableFuture<InferenceResult> inferAsync(InferenceRequest request) {
        return http.sendAsync(post(INFERENCE, request.toJson(false), false), HttpResponse.BodyHandlers.ofString())
                .handle((response, failure) -> {
                    if (failure != null) {
                        Throwable cause = failure instanceof CompletionException c && c.getCause() != null
                                ? c.getCause() : failure;
                        throw cause instanceof IOException io ? unreachable(io)
                                : new SwarmClientException("the request failed: " + cause, cause);
                    }
                    return answer(response);
                });
    }

    /**
     * Starts a streamed generation: {@code onToken} receives each token as it is sampled (on the
     * stream's own thread); the returned stream's result is the whole answer with its metadata.
     */
    public TokenStream<InferenceResult> stream(InferenceRequest request, Consumer<StreamedToken> onToken) {
        return open(post(INFERENCE, request.toJson(true), true), new InferenceEvents(onToken));
    }

    /** Streams the assistant's answer to a conversation; {@code onText} receives each piece of text. */
    public TokenStream<ChatResult> streamChat(ChatRequest request, Consumer<String> onText) {
        return open(post(CHAT, request.toStreamingJson(), true), new ChatEvents(onText));
    }

    /**
     * The swarm's pipeline state of a request (its id is {@link TokenStream#requestId()} or
     * {@link InferenceResult#requestId()}); empty when the swarm has none (unknown, or expired).
     */
    public Optional<PipelineState> pipelineState(String requestId) throws InterruptedException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(settings.resolve(REQUESTS
                + URLEncoder.encode(requestId, StandardCharsets.UTF_8))).timeout(settings.requestTimeout()).GET();
        authorize(builder);
        try {
            HttpResponse<String> response = http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 404) {
                return Optional.empty();
            }
            if (response.statusCode() != 200) {
                throw SwarmClientException.fromBody(response.statusCode(), response.body());
            }
            return Optional.of(PipelineState.fromJson(new JsonObject(response.body())));
        } catch (IOException e) {
            throw unreachable(e);
        }
    }

    /** Stops waiting for every open stream and frees the client's connections. */
    @Override
    public void close() {
        http.shutdownNow();
    }

    private HttpRequest post(String path, JsonObject body, boolean stream) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(settings.resolve(path))
                .timeout(settings.requestTimeout())
                .header("Content-Type", "application/json")
                .header("Accept", stream ? "text/event-stream" : "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
        authorize(builder);
        return builder.build();
    }

    private void authorize(HttpRequest.Builder builder) {
        if (settings.apiKey() != null) {
            builder.header("Authorization", "Bearer " + settings.apiKey());
        }
    }

    private static InferenceResult answer(HttpResponse<String> response) {
        if (response.statusCode() != 200) {
            throw SwarmClientException.fromBody(response.statusCode(), response.body());
        }
        try {
            return InferenceResult.fromJson(new JsonObject(response.body()));
        } catch (DecodeException | ClassCastException e) {
            throw new SwarmClientException(response.statusCode(), "the node's answer is not the expected JSON: "
                    + e.getMessage());
        }
    }

    private SwarmClientException unreachable(IOException e) {
        URI url = settings.baseUrl();
        String reason = e instanceof HttpTimeoutException ? "no answer within " + settings.requestTimeout()
                : e instanceof ConnectException ? "connection refused or timed out"
                : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        return new SwarmClientException("cannot reach the node at " + url + ": " + reason, e);
    }

    /** The connection went away after the stream had begun (the node stopped, the network failed). */
    private SwarmClientException broken(IOException e) {
        return new SwarmClientException("the stream from the node at " + settings.baseUrl() + " broke: "
                + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()), e);
    }

    /** Runs the stream on a virtual thread of its own, so a slow token handler holds up nobody else. */
    private <R> TokenStream<R> open(HttpRequest request, StreamEvents<R> events) {
        TokenStream<R> stream = new TokenStream<>();
        Thread thread = Thread.ofVirtual().name("swarm-client-stream").unstarted(() -> read(request, stream, events));
        stream.reading(thread);
        thread.start();
        return stream;
    }

    private <R> void read(HttpRequest request, TokenStream<R> stream, StreamEvents<R> events) {
        try {
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                String requestId = response.headers().firstValue(REQUEST_ID_HEADER).orElse(null);
                stream.opened(requestId, body);
                if (response.statusCode() != 200) {
                    throw SwarmClientException.fromBody(response.statusCode(),
                            new String(body.readAllBytes(), StandardCharsets.UTF_8));
                }
                ServerSentEvents reader = new ServerSentEvents(body);
                for (ServerSentEvents.Event event; (event = reader.next()) != null; ) {
                    R result = events.accept(event, requestId);
                    if (result != null) {
                        stream.complete(result);
                        return;
                    }
                }
                throw new SwarmClientException(0, "the node's stream ended before its final event");
            }
        } catch (IOException e) {
            stream.fail(stream.cancelled() ? e : stream.isOpen() ? broken(e) : unreachable(e));
        } catch (InterruptedException e) {
            stream.fail(e);
        } catch (RuntimeException e) {
            stream.fail(e);
        }
    }
}
