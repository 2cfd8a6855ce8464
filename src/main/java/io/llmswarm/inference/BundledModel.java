package io.llmswarm.inference;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The small demo model that ships inside node.jar (trained on WordNet by tools/demo-model), so a
 * first run needs no download. GGUF files are memory-mapped, so the model is copied once to a
 * cache folder ({@code $XDG_CACHE_HOME/llm-swarm} or {@code ~/.cache/llm-swarm}) and used from there.
 */
public final class BundledModel {

    /** Where the model lies on the class path. */
    public static final String RESOURCE = "/models/demo-wordnet-q8_0.gguf";

    private BundledModel() {
    }

    public static boolean isAvailable() {
        return BundledModel.class.getResource(RESOURCE) != null;
    }

    /** The model as a file, copied out of the jar when the cached copy is missing or differs in size. */
    public static Path path() {
        var url = BundledModel.class.getResource(RESOURCE);
        if (url == null) {
            throw new IllegalStateException("this build ships no demo model (" + RESOURCE + "); pass --model FILE");
        }
        try {
            if ("file".equals(url.getProtocol())) {
                return Path.of(url.toURI());
            }
            Path target = cacheDirectory().resolve(Path.of(RESOURCE).getFileName().toString());
            long size = url.openConnection().getContentLengthLong();
            if (!Files.isRegularFile(target) || Files.size(target) != size) {
                Files.createDirectories(target.getParent());
                Path partial = Files.createTempFile(target.getParent(), "demo", ".part");
                try (InputStream in = url.openStream()) {
                    Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
                }
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the demo model out of the jar", e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path cacheDirectory() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("llm-swarm");
    }
}
