package io.llmswarm.cluster;

import io.llmswarm.engine.LayerRange;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * How a step travels the route without coming back to the coordinator between hops: each shard
 * runs its layers and sends the hidden states straight on to the next hop; the last one sends
 * the sampled token (or any hop its error) to the coordinator's results address. One message per
 * hop instead of a request and a reply, and no coordinator in between.
 *
 * @param replyTo     the results address of the coordinator that waits for the step (see {@link Addresses#coordinatorResults})
 * @param step        the coordinator's number for this step; a result for an older one is stale
 * @param hop         the index in the route of the hop this message goes to (or, on a result, comes from)
 * @param next        the hops after that one, in order
 * @param times       what each hop before this one spent: engine time, and its time from receiving to sending on
 */
public record Relay(String replyTo, int step, int hop, List<Next> next, List<HopTime> times) {

    /** A later hop of the route: its node and the span of layers it runs. */
    public record Next(String nodeId, LayerRange span) {
    }

    /** What a hop spent on a step: in the engine, and in all from receiving the message to sending on. */
    public record HopTime(long engineNanos, long nodeNanos) {
    }

    public Relay {
        next = List.copyOf(next);
        times = List.copyOf(times);
        if (!Addresses.isCoordinatorResults(replyTo)) {
            throw new IllegalArgumentException("a relay's reply_to must be a coordinator's results address; got " + replyTo);
        }
        if (hop < 0 || times.size() > hop + 1) {
            throw new IllegalArgumentException("hop " + hop + " cannot carry the times of " + times.size() + " hops");
        }
    }

    /** The first hop's relay: nothing spent yet. */
    public static Relay start(String replyTo, int step, List<Next> next) {
        return new Relay(replyTo, step, 0, next, List.of());
    }

    /** Whether the hop this message goes to is the route's last (it samples and answers the coordinator). */
    public boolean isLast() {
        return next.isEmpty();
    }

    /** The relay of the message to the next hop, after this one spent {@code spent}. */
    public Relay onward(HopTime spent) {
        return new Relay(replyTo, step, hop + 1, next.subList(1, next.size()), withTime(spent));
    }

    /** The relay of an answer from this hop to the coordinator: the times of every hop up to this one. */
    public Relay answered(HopTime spent) {
        return new Relay(replyTo, step, hop, List.of(), withTime(spent));
    }

    private List<HopTime> withTime(HopTime spent) {
        List<HopTime> all = new ArrayList<>(times);
        all.add(spent);
        return all;
    }

    JsonObject toJson() {
        JsonArray hops = new JsonArray();
        next.forEach(n -> hops.add(new JsonObject().put("node_id", n.nodeId()).put("layer_start", n.span().first())
                .put("layer_end", n.span().last())));
        JsonArray spent = new JsonArray();
        times.forEach(t -> spent.add(new JsonArray().add(t.engineNanos()).add(t.nodeNanos())));
        return new JsonObject().put("reply_to", replyTo).put("step", step).put("hop", hop).put("next", hops)
                .put("times", spent);
    }

    /** Reads what {@link #toJson} wrote; throws {@link IllegalArgumentException} naming what is wrong. */
    static Relay fromJson(JsonObject json) {
        List<Next> next = new ArrayList<>();
        for (Object o : array(json, "next")) {
            if (!(o instanceof JsonObject hop) || !(hop.getValue("node_id") instanceof String node)
                    || !(hop.getValue("layer_start") instanceof Integer first)
                    || !(hop.getValue("layer_end") instanceof Integer last)) {
                throw new IllegalArgumentException("\"relay.next\" entries must be {node_id, layer_start, layer_end}; got " + o);
            }
            next.add(new Next(node, new LayerRange(first, last)));
        }
        List<HopTime> times = new ArrayList<>();
        for (Object o : array(json, "times")) {
            if (!(o instanceof JsonArray pair) || pair.size() != 2 || !(pair.getValue(0) instanceof Number engine)
                    || !(pair.getValue(1) instanceof Number node)) {
                throw new IllegalArgumentException("\"relay.times\" entries must be [engine_nanos, node_nanos]; got " + o);
            }
            times.add(new HopTime(engine.longValue(), node.longValue()));
        }
        if (!(json.getValue("reply_to") instanceof String replyTo) || !(json.getValue("step") instanceof Integer step)
                || !(json.getValue("hop") instanceof Integer hop)) {
            throw new IllegalArgumentException("\"relay\" needs reply_to (string), step and hop (integers); got " + json);
        }
        return new Relay(replyTo, step, hop, next, times);
    }

    private static JsonArray array(JsonObject json, String key) {
        if (!(json.getValue(key) instanceof JsonArray value)) {
            throw new IllegalArgumentException("\"relay." + key + "\" must be an array; got " + json.getValue(key));
        }
        return value;
    }
}
