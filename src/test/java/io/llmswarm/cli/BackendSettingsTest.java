package io.llmswarm.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The backend settings of a node: flags, environment, defaults and clear errors. */
class BackendSettingsTest {

    @Test
    void aNodeRunsTheJavaEngineUnlessToldOtherwise() {
        NodeSettings settings = NodeConfig.resolve(null, Map.of(), Map.of("model", "m.gguf"));
        assertFalse(settings.backend().isLlamaCpp());
        assertEquals(BackendSettings.DEFAULT_PARALLEL, settings.backend().parallel());
    }

    @Test
    void flagsAndEnvironmentChooseLlamaCppWithItsSlotsAndContext() {
        NodeSettings flags = NodeConfig.resolve(null, Map.of(), Map.of("model", "m.gguf", "backend", "llama.cpp",
                "ctx_size", "8192", "parallel", "4"));
        assertTrue(flags.backend().isLlamaCpp());
        assertEquals(new BackendSettings("llamacpp", 8192, 4), flags.backend());
        NodeSettings env = NodeConfig.resolve(null, Map.of("LLMSWARM_BACKEND", "llamacpp", "LLMSWARM_PARALLEL", "2"),
                Map.of("model", "m.gguf"));
        assertEquals(new BackendSettings("llamacpp", 0, 2), env.backend());
    }

    @Test
    void badValuesAreNamed() {
        IllegalArgumentException backend = assertThrows(IllegalArgumentException.class,
                () -> NodeConfig.resolve(null, Map.of(), Map.of("model", "m.gguf", "backend", "onnx")));
        assertTrue(backend.getMessage().contains("backend") && backend.getMessage().contains("onnx"), backend.getMessage());
        IllegalArgumentException parallel = assertThrows(IllegalArgumentException.class,
                () -> NodeConfig.resolve(null, Map.of(), Map.of("model", "m.gguf", "parallel", "0")));
        assertTrue(parallel.getMessage().contains("parallel"), parallel.getMessage());
        IllegalArgumentException context = assertThrows(IllegalArgumentException.class,
                () -> NodeConfig.resolve(null, Map.of(), Map.of("model", "m.gguf", "ctx_size", "big")));
        assertTrue(context.getMessage().contains("ctx_size"), context.getMessage());
    }
}
