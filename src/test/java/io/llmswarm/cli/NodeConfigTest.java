package io.llmswarm.cli;

import io.llmswarm.cluster.HiddenEncoding;
import io.llmswarm.engine.ShardEngine;
import io.llmswarm.inference.BundledModel;
import io.llmswarm.shard.ShardService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NodeConfigTest {

    @Test
    void flagsWinOverEnvironmentWhichWinsOverTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("node.json");
        Files.writeString(file, """
                {"model": "/models/a.gguf", "layers": "0-7", "cluster_name": "from-file", "cluster_port": 5800,
                 "join": "10.0.0.1:5701, 10.0.0.2:5701", "memory": "2g", "threads": 3}""");
        NodeSettings fileOnly = NodeConfig.resolve(file, Map.of(), Map.of());
        assertEquals(Path.of("/models/a.gguf"), fileOnly.model());
        assertEquals("0-7", fileOnly.layers());
        assertEquals(5800, fileOnly.cluster().port());
        assertEquals(List.of("10.0.0.1:5701", "10.0.0.2:5701"), fileOnly.cluster().members());
        assertEquals(2L << 30, fileOnly.memoryBytes());
        assertEquals(3, fileOnly.threads());

        NodeSettings env = NodeConfig.resolve(file, Map.of("LLMSWARM_CLUSTER_NAME", "from-env",
                "LLMSWARM_LAYERS", "8-15"), Map.of());
        assertEquals("from-env", env.cluster().name());
        assertEquals("8-15", env.layers());

        NodeSettings flags = NodeConfig.parse(Map.of("LLMSWARM_LAYERS", "8-15", "LLMSWARM_CLUSTER_NAME", "from-env"),
                "-cluster", "--config", file.toString(), "--layers", "16-23", "--cluster-port", "5900");
        assertEquals("16-23", flags.layers());
        assertEquals(5900, flags.cluster().port());
        assertEquals("from-env", flags.cluster().name());
        assertEquals(Path.of("/models/a.gguf"), flags.model());
    }

    @Test
    void allowedOriginsAndHttpsComeFromFileEnvironmentOrFlags(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("node.json");
        Path pem = Files.writeString(dir.resolve("cert.pem"), "read when the gateway starts");
        Files.writeString(file, "{\"model\": \"m.gguf\", \"allowed_origins\": [\"https://Chat.Example.com:443\","
                + " \"http://127.0.0.1:3000\"], \"https_cert\": \"" + pem + "\", \"https_key\": \"" + pem + "\"}");
        NodeSettings fromFile = NodeConfig.resolve(file, Map.of(), Map.of());
        assertTrue(fromFile.gateway().allowedOrigins().allows("https://chat.example.com"));
        assertTrue(fromFile.gateway().allowedOrigins().allows("http://127.0.0.1:3000"));
        assertFalse(fromFile.gateway().allowedOrigins().allows("http://127.0.0.1:3001"));
        assertTrue(fromFile.gateway().https());
        assertEquals(0, fromFile.gateway().tls().redirectPort());
        NodeSettings fromEnv = NodeConfig.resolve(file, Map.of("LLMSWARM_ALLOWED_ORIGINS", "*"),
                Map.of("https_redirect_port", "8081"));
        assertTrue(fromEnv.gateway().allowedOrigins().allows("http://anything.example"));
        assertEquals(8081, fromEnv.gateway().tls().redirectPort());
        NodeSettings none = NodeConfig.resolve(null, Map.of("LLMSWARM_MODEL", "m.gguf"), Map.of());
        assertFalse(none.gateway().allowedOrigins().enabled());
        assertFalse(none.gateway().https());

        var notAnOrigin = assertThrows(IllegalArgumentException.class, () -> NodeConfig.resolve(null,
                Map.of("LLMSWARM_MODEL", "m.gguf"), Map.of("allowed_origins", "https://chat.example.com/app")));
        assertTrue(notAnOrigin.getMessage().contains("scheme://host[:port]"), notAnOrigin.getMessage());
        var keyMissing = assertThrows(IllegalArgumentException.class, () -> NodeConfig.resolve(null,
                Map.of("LLMSWARM_MODEL", "m.gguf"), Map.of("https_cert", pem.toString())));
        assertTrue(keyMissing.getMessage().contains("--https-key"), keyMissing.getMessage());
        var redirectAlone = assertThrows(IllegalArgumentException.class, () -> NodeConfig.resolve(null,
                Map.of("LLMSWARM_MODEL", "m.gguf"), Map.of("https_redirect_port", "80")));
        assertTrue(redirectAlone.getMessage().contains("needs HTTPS"), redirectAlone.getMessage());
    }

    @Test
    void defaultsAreAutoLayersOnLoopback() {
        NodeSettings settings = NodeConfig.resolve(null, Map.of("LLMSWARM_MODEL", "m.gguf"), Map.of());
        assertTrue(settings.autoLayers());
        assertEquals("127.0.0.1", settings.cluster().host());
        assertEquals(5701, settings.cluster().port());
        // Without --cluster-port or --http-port a node takes the first free of 20 ports, and finds its
        // peers on this machine on the cluster ports; given ports are taken exactly.
        assertEquals(20, settings.cluster().portCount());
        assertEquals(20, settings.cluster().contacts().size());
        assertEquals("127.0.0.1:5720", settings.cluster().contacts().getLast());
        assertEquals(20, settings.httpPortCount());
        NodeSettings given = NodeConfig.resolve(null, Map.of("LLMSWARM_MODEL", "m.gguf"),
                Map.of("cluster_port", "5800", "http_port", "9000"));
        assertEquals(1, given.cluster().portCount());
        assertEquals(List.of(), given.cluster().contacts());
        assertEquals(1, given.httpPortCount());
        assertEquals(HiddenEncoding.F32, settings.resilience().hiddenEncoding());
        NodeSettings half = NodeConfig.resolve(null, Map.of("LLMSWARM_MODEL", "m.gguf", "LLMSWARM_HIDDEN_DTYPE", "f16"), Map.of());
        assertEquals(HiddenEncoding.F16, half.resilience().hiddenEncoding());
        assertEquals(ShardEngine.Options.DEFAULT_MAX_BATCH, settings.engineBatch());
    }

    @Test
    void batchTokensComeFromTheFlagAndMustBePositive() {
        assertEquals(64, NodeConfig.parse(Map.of(), "-cluster", "--model", "m.gguf", "--batch-tokens", "64").engineBatch());
        assertEquals(32, NodeConfig.resolve(null, Map.of("LLMSWARM_MODEL", "m.gguf", "LLMSWARM_BATCH_TOKENS", "32"),
                Map.of()).engineBatch());
        var zero = assertThrows(IllegalArgumentException.class, () -> NodeConfig.resolve(null, Map.of(),
                Map.of("model", "m.gguf", "batch_tokens", "0")));
        assertEquals("batch_tokens must be at least 1; got 0", zero.getMessage());
    }

    @Test
    void thePromptCacheIsOnByDefaultAndTurnsOffWithZero() {
        assertEquals(ShardService.DEFAULT_PROMPT_CACHE_ENTRIES,
                NodeConfig.resolve(null, Map.of("LLMSWARM_MODEL", "m.gguf"), Map.of()).promptCacheEntries());
        assertEquals(0, NodeConfig.parse(Map.of(), "-cluster", "--model", "m.gguf", "--prompt-cache", "0").promptCacheEntries());
        assertEquals(5, NodeConfig.resolve(null, Map.of("LLMSWARM_MODEL", "m.gguf", "LLMSWARM_PROMPT_CACHE", "5"),
                Map.of()).promptCacheEntries());
        var negative = assertThrows(IllegalArgumentException.class, () -> NodeConfig.resolve(null, Map.of(),
                Map.of("model", "m.gguf", "prompt_cache", "-1")));
        assertEquals("prompt_cache must be 0 (off) or more; got -1", negative.getMessage());
    }

    @Test
    void changingOneSettingKeepsEveryOther() {
        NodeSettings given = NodeConfig.parse(Map.of(), "-cluster", "--model", "m.gguf", "--batch-tokens", "64",
                "--prompt-cache", "3", "--drain-timeout", "5s");
        NodeSettings changed = given.withKvCacheBytes(1L << 20).withHttpPort(9000).withGateway(given.gateway());
        assertEquals(1L << 20, changed.kvCacheBytes());
        assertEquals(9000, changed.httpPort());
        assertEquals(1, changed.httpPortCount(), "a port picked exactly");
        assertEquals(64, changed.batchTokens());
        assertEquals(3, changed.promptCacheEntries());
        assertEquals(java.time.Duration.ofSeconds(5), changed.drainTimeout());
        assertEquals(given.resilience(), changed.resilience());
        assertEquals(given.cluster(), changed.cluster());
    }

    @Test
    void aNodeBoundToALanAddressLooksForOthersThereUnlessToldNotTo() {
        assertFalse(NodeConfig.parse(Map.of(), "-cluster", "--model", "m.gguf").cluster().multicast(), "loopback");
        assertTrue(NodeConfig.parse(Map.of(), "-cluster", "--model", "m.gguf", "--cluster-host", "10.1.2.3")
                .cluster().multicast());
        assertFalse(NodeConfig.parse(Map.of(), "-cluster", "--model", "m.gguf", "--cluster-host", "10.1.2.3",
                "--no-multicast").cluster().multicast());
        assertFalse(NodeConfig.parse(Map.of(), "-cluster", "--model", "m.gguf", "--cluster-host", "10.1.2.3",
                "--join", "10.1.2.4:5701").cluster().multicast(), "--join: only those members");
        var alone = NodeConfig.parse(Map.of("LLMSWARM_NO_DISCOVERY", "true"), "-cluster", "--model", "m.gguf",
                "--cluster-host", "10.1.2.3").cluster();
        assertFalse(alone.multicast());
        assertEquals(List.of("10.1.2.3:5701"), alone.contacts(), "--no-discovery: contacts only itself");
    }

    @Test
    void badSettingsSayWhatWasExpected(@TempDir Path dir) throws Exception {
        // No model anywhere: the bundled demo model, as generate and demo use.
        assertEquals(BundledModel.path(), NodeConfig.resolve(null, Map.of(), Map.of()).model());
        var range = assertThrows(IllegalArgumentException.class, () -> NodeConfig.resolve(null, Map.of(),
                Map.of("model", "m.gguf", "join", "10.0.0.1:5701-5706")));
        assertTrue(range.getMessage().contains("host:port"), range.getMessage());
        Path file = dir.resolve("bad.json");
        Files.writeString(file, "{\"modle\": \"x\"}");
        var unknown = assertThrows(IllegalArgumentException.class, () -> NodeConfig.resolve(file, Map.of(), Map.of()));
        assertTrue(unknown.getMessage().contains("unknown setting 'modle'"), unknown.getMessage());
        var dtype = assertThrows(IllegalArgumentException.class, () -> NodeConfig.resolve(null, Map.of(),
                Map.of("model", "m.gguf", "hidden_dtype", "bf16")));
        assertEquals("hidden_dtype must be f32 or f16; got 'bf16'", dtype.getMessage());
        assertEquals(512L << 20, NodeConfig.parseBytes("512m"));
        assertThrows(IllegalArgumentException.class, () -> NodeConfig.parseBytes("lots"));
    }

    @Test
    void unitsAreParsedTheSameFromEverySourceAndABadOneNamesItsSetting(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("node.json");
        Files.writeString(file, "{\"model\": \"m.gguf\", \"kv_cache\": \"1g\", \"step_timeout\": \"90s\"}");
        NodeSettings settings = NodeConfig.parse(Map.of("LLMSWARM_STEP_TIMEOUT", "250ms", "LLMSWARM_MEMORY", "2g"),
                "--config", file.toString(), "--session-idle-timeout", "2m", "--drain-timeout", "0s");
        assertEquals(Duration.ofMillis(250), settings.resilience().stepTimeout());
        assertEquals(Duration.ofMinutes(2), settings.resilience().sessionIdleTimeout());
        assertEquals(Duration.ZERO, settings.drainTimeout());
        assertEquals(1L << 30, settings.kvCacheBudget());
        assertEquals(2L << 30, settings.memoryBytes());

        var fromEnv = assertThrows(IllegalArgumentException.class, () -> NodeConfig.parse(
                Map.of("LLMSWARM_MODEL", "m.gguf", "LLMSWARM_STEP_TIMEOUT", "soon")));
        assertEquals("step_timeout looks like 250ms, 60s, 5m or 1h; got 'soon'", fromEnv.getMessage());
        Files.writeString(file, "{\"model\": \"m.gguf\", \"kv_cache\": \"lots\"}");
        var fromFile = assertThrows(IllegalArgumentException.class, () -> NodeConfig.parse(Map.of(),
                "--config", file.toString()));
        assertEquals("kv_cache looks like 512m, 8g or a number of bytes; got 'lots'", fromFile.getMessage());
        var flag = assertThrows(IllegalArgumentException.class, () -> NodeConfig.parse(Map.of(), "--model", "m.gguf",
                "--threads", "many"));
        assertEquals("threads must be a whole number; got 'many'", flag.getMessage());
    }

    @Test
    void secretsAreRefusedOnTheCommandLineButTakenFromTheEnvironment() {
        var secret = assertThrows(IllegalArgumentException.class, () -> NodeConfig.parse(Map.of(), "--model", "m.gguf",
                "--cluster-secret", "a cluster secret of some length"));
        assertTrue(secret.getMessage().contains("LLMSWARM_CLUSTER_SECRET"), secret.getMessage());
        var keys = assertThrows(IllegalArgumentException.class, () -> NodeConfig.parse(Map.of(), "--model", "m.gguf",
                "--api-keys", "a-long-enough-key"));
        assertTrue(keys.getMessage().contains("--api-keys-file"), keys.getMessage());
        NodeSettings fromEnv = NodeConfig.parse(Map.of("LLMSWARM_CLUSTER_SECRET", "a cluster secret of some length"),
                "--model", "m.gguf");
        assertTrue(fromEnv.cluster().security().secret().enabled());
    }

    @Test
    void theFileKnowsEverySettingThatHasAnOption(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("node.json");
        Files.writeString(file, "{\"model\": \"m.gguf\", \"hidden_dtype\": \"f16\", \"multicast\": true,"
                + " \"batch_tokens\": 8, \"drain_timeout\": \"5s\"}");
        NodeSettings settings = NodeConfig.resolve(file, Map.of(), Map.of());
        assertEquals(HiddenEncoding.F16, settings.resilience().hiddenEncoding());
        assertTrue(settings.cluster().multicast());
        assertEquals(8, settings.engineBatch());
        assertEquals(Duration.ofSeconds(5), settings.drainTimeout());
        Files.writeString(file, "{\"step-timeout\": \"5s\"}");
        var unknown = assertThrows(IllegalArgumentException.class, () -> NodeConfig.resolve(file, Map.of(), Map.of()));
        assertTrue(unknown.getMessage().contains("unknown setting 'step-timeout'")
                && unknown.getMessage().contains("step_timeout"), unknown.getMessage());
    }
}
