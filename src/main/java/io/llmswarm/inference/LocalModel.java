package io.llmswarm.inference;

import io.llmswarm.engine.LayerRange;
import io.llmswarm.engine.ModelConfig;
import io.llmswarm.engine.ModelShard;
import io.llmswarm.engine.ShardEngine;
import io.llmswarm.gguf.GgufFile;
import io.llmswarm.tokenizer.Tokenizer;
import io.llmswarm.tokenizer.Vocabulary;

import java.nio.file.Path;
import java.util.function.IntConsumer;

/** A whole model in this process: the Java engine over all its layers, and its tokenizer. */
public final class LocalModel implements AutoCloseable {

    private final ShardEngine engine;
    private final Tokenizer tokenizer;

    private LocalModel(ShardEngine engine, Tokenizer tokenizer) {
        this.engine = engine;
        this.tokenizer = tokenizer;
    }

    /**
     * Opens a GGUF file and loads every layer; {@code progress} hears how many layers are loaded
     * (out of {@link ModelConfig#blockCount()}).
     */
    public static LocalModel load(Path path, ShardEngine.Options options, IntConsumer progress) {
        GgufFile file = GgufFile.open(path);
        try {
            Tokenizer tokenizer = Tokenizer.of(Vocabulary.fromGguf(file.metadata()));
            ModelConfig config = ModelConfig.from(file);
            ModelShard shard = ModelShard.load(file, LayerRange.all(config.blockCount()), progress);
            ShardEngine engine = new ShardEngine(shard, options);
            engine.warmUp();
            return new LocalModel(engine, tokenizer);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** Reads only the blocks count, for a progress bar before loading. */
    public static int blockCount(Path path) {
        try (GgufFile file = GgufFile.open(path)) {
            return ModelConfig.from(file).blockCount();
        }
    }

    public ShardEngine engine() {
        return engine;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public ModelConfig config() {
        return engine.config();
    }

    public LocalGenerator generator() {
        return new LocalGenerator(engine, tokenizer::isEndOfGeneration);
    }

    @Override
    public void close() {
        engine.close();
    }
}
