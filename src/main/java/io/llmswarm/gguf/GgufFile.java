package io.llmswarm.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * An open GGUF file (version 2 or 3): its metadata, its tensor index, and its tensor data mapped
 * read-only into memory. The whole file is mapped once; tensor data are slices of that mapping,
 * never copies, and opening touches only the header's pages, so a shard that reads the tensors
 * of its own layers keeps only those resident. Closing unmaps the file: segments handed out
 * before become unusable.
 */
public final class GgufFile implements AutoCloseable {

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final GgufHeaderReader.Header header;
    private volatile String fingerprint;

    private GgufFile(Path path, Arena arena, MemorySegment mapping, GgufHeaderReader.Header header) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.header = header;
    }

    /** Maps {@code path} and reads its header; throws {@link GgufException} for anything malformed. */
    public static GgufFile open(Path path) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment mapping;
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
                mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            }
            GgufHeaderReader.Header header = new GgufHeaderReader(path, mapping).read();
            return new GgufFile(path, arena, mapping, header);
        } catch (NoSuchFileException e) {
            arena.close();
            throw GgufException.of(path, "cannot open GGUF file", "an existing readable file", "no such file");
        } catch (IOException e) {
            arena.close();
            throw new GgufException(path + ": cannot read GGUF file: " + e, e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** The GGUF version, 2 or 3. */
    public int version() {
        return header.version();
    }

    /** The alignment of tensor data ({@code general.alignment}, 32 when absent). */
    public long alignment() {
        return header.alignment();
    }

    /** Where the data section starts in the file; tensor offsets count from here. */
    public long dataOffset() {
        return header.dataOffset();
    }

    /** The size of the file in bytes. */
    public long fileSize() {
        return mapping.byteSize();
    }

    public GgufMetadata metadata() {
        return header.metadata();
    }

    /** The tensor index by name, in file order. */
    public Map<String, TensorInfo> tensors() {
        return Collections.unmodifiableMap(header.tensors());
    }

    /** The tensor called {@code name}; throws naming the file and the tensor when it is missing. */
    public TensorInfo tensor(String name) {
        TensorInfo info = header.tensors().get(name);
        if (info == null) {
            throw GgufException.of(path, "tensor '" + name + "' is missing", "a tensor of that name",
                    header.tensors().size() + " tensors, none of that name");
        }
        return info;
    }

    public Optional<TensorInfo> findTensor(String name) {
        return Optional.ofNullable(header.tensors().get(name));
    }

    /** The data of tensor {@code name}: a slice of the mapping, not a copy. */
    public MemorySegment tensorData(String name) {
        return tensorData(tensor(name));
    }

    /** The data of {@code info} (an entry of this file's index): a slice of the mapping, not a copy. */
    public MemorySegment tensorData(TensorInfo info) {
        return mapping.asSlice(header.dataOffset() + info.offset(), info.byteSize());
    }

    /** The whole file as mapped. */
    public MemorySegment mapping() {
        return mapping;
    }

    /**
     * Hex SHA-256 of the bytes before the data section (metadata and tensor index): two files with
     * the same fingerprint describe the same model, so nodes can pair up by it.
     */
    public String fingerprint() {
        String result = fingerprint;
        if (result == null) {
            try {
                MessageDigest digest = MessageDigest.getInstance("SHA-256");
                digest.update(mapping.asSlice(0, header.dataOffset()).asByteBuffer());
                result = HexFormat.of().formatHex(digest.digest());
                fingerprint = result;
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is required of every JDK", e);
            }
        }
        return result;
    }

    /** Unmaps the file. */
    @Override
    public void close() {
        arena.close();
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version() + ", " + header.metadata().keys().size() + " keys, "
                + header.tensors().size() + " tensors]";
    }
}
