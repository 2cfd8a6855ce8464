package io.llmswarm.client;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * A generation being streamed: tokens go to the handler given when it was started (on this
 * stream's own virtual thread, in order), then {@link #result()} completes with the final answer,
 * or with a {@link SwarmClientException} carrying the node's message. {@link #cancel()} (or
 * {@link #close()}, or cancelling {@link #result()}) closes the connection, which makes the node
 * stop the generation and free its KV caches on every shard; {@link #result()} then completes with
 * a {@link CancellationException}.
 *
 * @param <R> the final answer: {@link InferenceResult} or {@link ChatResult}
 */
public final class TokenStream<R> implements AutoCloseable {

    private final CompletableFuture<R> result = new CompletableFuture<>();
    private volatile String requestId;
    private volatile InputStream body;
    private volatile Thread reader;
    private volatile boolean cancelled;

    TokenStream() {
        // However it is cancelled (here or through the future), the connection closes.
        result.whenComplete((value, failure) -> {
            if (failure instanceof CancellationException) {
                stop();
            }
        });
    }

    /** Completes once the stream ends. */
    public CompletableFuture<R> result() {
        return result;
    }

    /** Waits for the final answer; a refusal or error event throws {@link SwarmClientException}. */
    public R await() throws InterruptedException {
        try {
            return result.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime
                    : new SwarmClientException("the stream failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** The node's id for this request ({@code X-Request-Id}), once the stream's head has arrived. */
    public Optional<String> requestId() {
        return Optional.ofNullable(requestId);
    }

    /** Stops the generation: closes the connection (or aborts the request not yet answered). */
    public void cancel() {
        result.completeExceptionally(new CancellationException("the stream was cancelled"));
    }

    private void stop() {
        cancelled = true;
        closeBody();
        Thread thread = reader;
        if (thread != null && body == null) {
            thread.interrupt(); // still waiting for the head: HttpClient aborts the exchange
        }
    }

    @Override
    public void close() {
        cancel();
    }

    /** True once the response's head has arrived. */
    boolean isOpen() {
        return body != null;
    }

    boolean cancelled() {
        return cancelled;
    }

    void reading(Thread thread) {
        reader = thread;
    }

    /** The head arrived; a cancel that came first closes the body at once. */
    void opened(String id, InputStream stream) {
        requestId = id;
        body = stream;
        if (cancelled) {
            closeBody();
        }
    }

    void complete(R value) {
        result.complete(value);
    }

    void fail(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        result.completeExceptionally(cancelled ? new CancellationException("the stream was cancelled") : cause);
    }

    void closeBody() {
        InputStream stream = body;
        if (stream != null) {
            try {
                stream.close();
            } catch (IOException ignored) {
                // the connection is going away either way
            }
        }
    }
}
