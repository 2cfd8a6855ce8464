/**
 * Matrix kernels of the Java engine: weights read in place from memory segments (slices of a
 * mapped GGUF file), activations encoded the way llama.cpp's CPU backend encodes them
 * ({@link io.llmswarm.engine.tensor.ActivationFormat#forWeight}), integer block dot products
 * with llama.cpp's scale formulas, and a dedicated kernel thread pool
 * ({@link io.llmswarm.engine.tensor.MatMul}).
 *
 * <p>Notes for whoever changes a kernel (learned the hard way, JDK 25):
 * <ul>
 *   <li>Kernels assume 16 float lanes (AVX-512), this machine's preferred shape.</li>
 *   <li>C2 stops inlining Vector API code once a compiled method grows past its node budget
 *       (about 20 vector operations); a vector that crosses a call that was not inlined is
 *       boxed, and the kernel becomes 5-10x slower. Keep one call site of a small block helper
 *       inside a loop, keep helpers under 325 bytes of bytecode, and never pass vectors to
 *       methods that might not inline.</li>
 *   <li>Shifts and masks on {@code ByteVector} lanes were not intrinsified well; nibbles are
 *       unpacked after a zero-extending widening to int lanes.</li>
 *   <li>{@code reduceLanes} adds in a different order interpreted and compiled; lane sums go
 *       through {@code SegmentMatrix.sumLanes} so a result does not depend on JIT state.</li>
 *   <li>Native weights are read through a segment spanning all memory at absolute addresses
 *       (its bounds check is cheaper); matrix sizes are checked up front, and a matrix whose
 *       arena was closed refuses to multiply.</li>
 * </ul>
 */
package io.llmswarm.engine.tensor;
