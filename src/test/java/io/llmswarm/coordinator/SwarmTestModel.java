package io.llmswarm.coordinator;

import io.llmswarm.engine.ShardEngine;
import io.llmswarm.gguf.GgmlType;
import io.llmswarm.gguf.ModelMaker;
import io.llmswarm.gguf.ModelSpec;
import io.llmswarm.inference.GenerationRequest;
import io.llmswarm.inference.GenerationResult;
import io.llmswarm.inference.LocalModel;
import io.llmswarm.sampling.SamplingConfig;

import io.llmswarm.cli.NodeSettings;
import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.gateway.TestHttp;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Assertions;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A small many-layer model the writer makes, and what the single-process engine generates from it. */
public final class SwarmTestModel {

    private SwarmTestModel() {
    }

    /** A Q8_0 llama model, 64 wide, with {@code layers} layers and a 128-token context. */
    public static Path write(Path dir, int layers) {
        Path file = dir.resolve("swarm-" + layers + ".gguf");
        ModelMaker.write(ModelSpec.builder().blockCount(layers).allTypes(GgmlType.Q8_0).outputStd(0.5f)
                .contextLength(128).seed(7).name("swarm-test").build(), file);
        return file;
    }

    /** The engine over all layers in this process: the reference the swarm must equal. */
    public static LocalModel local(Path file) {
        return LocalModel.load(file, new ShardEngine.Options(1, 64, 64L << 20), layers -> { });
    }

    public static GenerationResult generate(LocalModel model, String prompt, int maxTokens, SamplingConfig sampling,
                                            boolean ignoreEos) {
        int[] tokens = model.tokenizer().encode(prompt, true, false);
        return model.generator().generate("local", new GenerationRequest(tokens, maxTokens, sampling, ignoreEos),
                token -> true);
    }

    /**
     * Starts one clustered node per entry of {@code layers} (in one JVM, on loopback) and adds each to
     * {@code nodes} as it comes up, so the caller's finally block closes whatever did start.
     */
    public static void startNodes(Path model, List<SwarmNode> nodes, String... layers) throws Exception {
        TestClusters cluster = new TestClusters(layers.length);
        List<Future<SwarmNode>> starts = new ArrayList<>();
        for (int i = 0; i < layers.length; i++) {
            starts.add(SwarmNode.start(new NodeSettings(model, layers[i], cluster.member(i), 0, 1, 1L << 30)));
        }
        for (Future<SwarmNode> start : starts) {
            nodes.add(start.await(60, TimeUnit.SECONDS));
        }
    }

    /**
     * After a node was fed bad input: it still answers a greedy request over HTTP with the
     * single-process text, and holds no session and no KV-cache bytes afterwards.
     */
    public static void assertServesAndHoldsNothing(LocalModel local, SwarmNode node) throws Exception {
        GenerationResult expected = generate(local, "Once upon a time", 8,
                SamplingConfig.greedy(), true);
        HttpResponse<String> ok = new TestHttp(node.httpPort()).post("/api/inference",
                null, new JsonObject().put("prompt", "Once upon a time").put("raw", true).put("max_tokens", 8)
                        .put("temperature", 0).put("ignore_eos", true).encode());
        Assertions.assertEquals(200, ok.statusCode(), ok.body());
        Assertions.assertEquals(local.tokenizer().decode(expected.tokens()).strip(),
                new JsonObject(ok.body()).getString("result").strip());
        TestClusters.awaitTrue(Duration.ofSeconds(10), () -> node.shard().sessionCount() == 0,
                () -> node.shard().sessionCount() + " sessions left open");
        // Finished sessions stay in the prompt cache for reuse; nothing else may hold KV bytes.
        Assertions.assertEquals(node.shard().promptCache().bytes(),
                node.shard().kvCacheBudget().usedBytes());
    }
}
