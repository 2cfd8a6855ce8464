package io.llmswarm.coordinator;

import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.SignedJson;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

/**
 * Puts a {@link Coordinator} on the event bus: a JSON generation request on
 * {@link Addresses#GENERATE} (any node) or {@link Addresses#generateFor} (nodes of one model) is
 * started through {@link GenerationStart} and answered with the whole result, or failed with the
 * code {@link GenerationFailure} gives (400 bad request, 503 swarm not ready or busy, 500 a shard failed). With {@code "stream_to": ADDRESS} in the request each
 * token is also sent to that address as it comes ({@code {"index", "id", "text", "logprob"}}), for
 * clients elsewhere on the bus. {@link Addresses#STATUS} answers with the swarm view. With a
 * cluster secret a request must be {@link SignedJson} (kind generate or status): one unsigned,
 * badly signed or stale is refused with 401 and nothing runs. Answers and tokens go as plain JSON.
 */
public final class CoordinatorVerticle extends VerticleBase {

    /** The failure codes, as {@link GenerationFailure} decides them. */
    public static final int BAD_REQUEST = 400;
    public static final int NOT_READY = 503;
    public static final int FAILED = 500;

    private final Coordinator coordinator;
    private GenerationStart generations;

    public CoordinatorVerticle(Coordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public Future<?> start() {
        generations = new GenerationStart(vertx, coordinator);
        var generate = vertx.eventBus().consumer(Addresses.GENERATE, this::generate);
        var generateThisModel = vertx.eventBus().consumer(
                Addresses.generateFor(coordinator.model().fingerprint()), this::generate);
        var status = vertx.eventBus().consumer(Addresses.STATUS, message -> {
            if (SignedJson.admit(vertx, message, SignedJson.STATUS, "the coordinator") != null) {
                message.reply(coordinator.status().toJson());
            }
        });
        return Future.all(generate.completion(), generateThisModel.completion(), status.completion());
    }

    /** Closes the coordinator too: its results consumer, its swarm listener, its circuit breakers. */
    @Override
    public Future<?> stop() {
        return coordinator.close();
    }

    private void generate(Message<Object> message) {
        JsonObject json = SignedJson.admit(vertx, message, SignedJson.GENERATE, "the coordinator");
        if (json == null) {
            return;
        }
        GenerateRequest request;
        try {
            request = GenerateJson.request(json);
        } catch (RuntimeException e) {
            fail(message, GenerationFailure.ofRequest(e));
            return;
        }
        String streamTo = json.getString("stream_to");
        TokenListener listener = streamTo == null ? TokenListener.none()
                : token -> vertx.eventBus().send(streamTo, GenerateJson.token(token));
        generations.start(request, listener).compose(Generation::outcome).onComplete(done -> {
            if (done.succeeded()) {
                message.reply(GenerateJson.response(done.result()));
            } else {
                fail(message, GenerationFailure.of(done.cause()));
            }
        });
    }

    private static void fail(Message<Object> message, GenerationFailure failure) {
        message.fail(failure.status(), failure.message());
    }
}
