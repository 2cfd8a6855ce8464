package io.llmswarm.coordinator;

import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.Route;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * Finds the hop at fault when a relayed step missed its deadline: every hop of the route is asked
 * which step of the session it finished last (a stopped, dead or cut-off node does not answer).
 * The first hop that did not finish the step is the one to route around; when every hop finished
 * it, the last one's result was lost on its way back.
 */
final class RouteProbe {

    /**
     * The hop at fault and what it answered: the last step it finished, or {@link #NO_ANSWER}, and
     * whether it says the step is waiting for or running on its engine (a busy shard, not a stuck one).
     */
    record Verdict(int hop, int lastStep, boolean running) {
    }

    static final int NO_ANSWER = -2;

    private RouteProbe() {
    }

    static Future<Verdict> find(Vertx vertx, Route route, String sessionId, int step, long timeoutMillis) {
        DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeoutMillis);
        List<Future<JsonObject>> answers = route.hops().stream().map(hop -> vertx.eventBus()
                .<JsonObject>request(Addresses.shardProbe(hop.nodeId()), new JsonObject().put("session_id", sessionId), options)
                .map(message -> message.body() == null ? new JsonObject() : message.body())
                .otherwise(new JsonObject().put("last_step", NO_ANSWER))).toList();
        return Future.join(answers).transform(ignored -> {
            int at = answers.size() - 1;
            for (int i = 0; i < answers.size(); i++) {
                if (lastStep(answers.get(i).result()) < step) {
                    at = i;
                    break;
                }
            }
            JsonObject answer = answers.get(at).result();
            return Future.succeededFuture(new Verdict(at, lastStep(answer), running(answer) == step));
        });
    }

    private static int lastStep(JsonObject answer) {
        return answer.getValue("last_step") instanceof Number n ? n.intValue() : -1;
    }

    private static int running(JsonObject answer) {
        return answer.getValue("running_step") instanceof Number n ? n.intValue() : -1;
    }

    /** What the verdict says of its hop, for the fail-over's message. */
    static String describe(Route.Hop hop, Verdict verdict, int step, long timeoutMillis) {
        String what = verdict.lastStep() == NO_ANSWER ? "answer" : verdict.lastStep() < step ? "finish its part of"
                : "pass on the result of";
        return "shard " + hop.nodeId() + " (layers " + hop.span() + ") did not " + what + " a step within "
                + timeoutMillis + " ms";
    }
}
