package io.llmswarm.gateway;

import io.llmswarm.cli.NodeConfig;
import io.llmswarm.cli.NodeSettings;
import io.llmswarm.cli.SecurityWarnings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApiKeysTest {

    @Test
    void aKeyMatchesByNameAndOthersDoNot() {
        ApiKeys keys = ApiKeys.of(List.of("first-key-123", "second-key-456"));
        assertEquals(Optional.of("key-1"), keys.match("second-key-456"));
        assertEquals(Optional.empty(), keys.match("second-key-45"));
        assertEquals(Optional.empty(), keys.match(null));
        assertFalse(ApiKeys.none().enabled());
        assertThrows(IllegalArgumentException.class, () -> ApiKeys.of(List.of("short")));
    }

    @Test
    void keysComeFromAFileTheEnvironmentOrTheConfigAndLimitsFromFlags(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("keys.txt");
        Files.writeString(file, "# operators\nfile-key-0001\n\n  file-key-0002  \n");
        NodeSettings settings = NodeConfig.resolve(null, Map.of("LLMSWARM_MODEL", "m.gguf",
                "LLMSWARM_API_KEYS", "env-key-0001, env-key-0002"), Map.of("api_keys_file", file.toString(),
                "max_concurrent", "3", "max_concurrent_per_client", "2", "kv_cache", "1m", "http_host", "127.0.0.1"));
        ApiKeys keys = settings.gateway().apiKeys();
        assertEquals(4, keys.size());
        assertTrue(keys.match("file-key-0002").isPresent());
        assertTrue(keys.match("env-key-0002").isPresent());
        assertEquals(new GatewayLimits(3, 2), settings.gateway().limits());
        assertEquals(1L << 20, settings.kvCacheBudget());
        Path json = dir.resolve("node.json");
        Files.writeString(json, "{\"model\": \"m.gguf\", \"api_keys\": [\"json-key-0001\"], \"cluster_secret\": "
                + "\"a cluster secret of some length\"}");
        NodeSettings fromJson = NodeConfig.resolve(json, Map.of(), Map.of());
        assertTrue(fromJson.gateway().apiKeys().match("json-key-0001").isPresent());
        assertTrue(fromJson.cluster().security().secret().enabled());
    }

    @Test
    void aNodeBeyondLoopbackWithoutKeysOrSecretIsWarnedAbout(@TempDir Path dir)
            throws Exception {
        NodeSettings open = NodeConfig.resolve(null, Map.of("LLMSWARM_MODEL", "m.gguf"), Map.of("cluster_host", "10.1.2.3"));
        String warnings = String.join("\n", SecurityWarnings.of(open));
        assertTrue(warnings.contains("no API key"), warnings);
        assertTrue(warnings.contains("no cluster secret"), warnings);
        assertTrue(warnings.contains("not encrypted"), warnings);
        NodeSettings local = NodeConfig.resolve(null, Map.of("LLMSWARM_MODEL", "m.gguf"), Map.of("http_host", "127.0.0.1"));
        assertEquals(List.of(), SecurityWarnings.of(local));
        NodeSettings keyed = NodeConfig.resolve(null, Map.of("LLMSWARM_MODEL", "m.gguf",
                "LLMSWARM_API_KEYS", "a-long-enough-key"), Map.of());
        String inClear = String.join("\n", SecurityWarnings.of(keyed));
        assertTrue(inClear.contains("without HTTPS: API keys and prompts cross the network in clear"), inClear);
        Path pem = Files.writeString(dir.resolve("any.pem"), "read at start, not here");
        NodeSettings keyedHttps = NodeConfig.resolve(null, Map.of("LLMSWARM_MODEL", "m.gguf",
                "LLMSWARM_API_KEYS", "a-long-enough-key"), Map.of("https_cert", pem.toString(), "https_key", pem.toString()));
        assertEquals(List.of(), SecurityWarnings.of(keyedHttps));
    }
}
