package io.llmswarm.client;

/** Turns one API's Server-Sent Events into tokens for the caller and, at the end, the final answer. */
interface StreamEvents<R> {

    /** Handles one event; returns the final answer when this event ends the stream, else null. */
    R accept(ServerSentEvents.Event event, String requestId);
}
