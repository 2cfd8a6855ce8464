/**
 * Matrix kernels of the Java engine: weights repacked at load time for the machine's vector
 * width ({@link io.llmswarm.engine.tensor.PackedMatrix}; the file's layout stays readable row by
 * row for the embedding and the scalar reference kernels), activations encoded the way
 * llama.cpp's CPU backend encodes them ({@link io.llmswarm.engine.tensor.ActivationFormat#forWeight}),
 * integer block dot products with llama.cpp's scale formulas, and a dedicated kernel thread pool
 * ({@link io.llmswarm.engine.tensor.MatMul}).
 *
 * <p>Notes for whoever changes a kernel (learned the hard way, JDK 25):
 * <ul>
 *   <li>The vector width is the machine's ({@code VectorWidth}: 512 bits with AVX-512, 256 with
 *       AVX2, 128 on NEON, or {@code -Dllmswarm.vector.bits}); a species wider than the hardware
 *       is not compiled to SIMD and runs 10x slower or worse. Kernels take their species from
 *       {@code VectorWidth.FLOATS} (static finals, derived shapes for bytes, shorts and ints) and
 *       are written for any lane count {@code L}: rows interleaved one per lane, never a sum
 *       across lanes. Test every kernel at 512, 256 and 128 bits: the build runs the engine's
 *       tests under {@code -XX:UseAVX=2} and {@code -XX:MaxVectorSize=16} too; by hand,
 *       {@code -DargLine="-Dllmswarm.vector.bits=128"}.</li>
 *   <li>A packed row's result does not depend on the width or the batch. Quantized types sum
 *       each block exactly (integer-valued floats below 2^24, or int lanes where a super-block
 *       can pass 2^24) and fold the blocks in order by fused multiply-adds; float types (no
 *       exact sums) run four fixed chains of fused multiply-adds per row, chain {@code j} over
 *       columns {@code j, j+4, ...}, added as {@code (c0 + c1) + (c2 + c3)}
 *       ({@code FloatPanel}). A fixed number of chains per row, not per vector, is what keeps
 *       the width out of the rounding. The exactness tests hold each type to its formula with
 *       tolerance 0.</li>
 *   <li>C2 stops inlining Vector API code once a compiled method grows past its node budget
 *       ({@code NodeCountInliningCutoff}); a vector that crosses a call that was not inlined is
 *       boxed, and the kernel becomes 3-10x slower. Keep hot helpers tiny or call the Vector API
 *       directly in the hot method, and check with {@code -XX:+PrintInlining}.</li>
 *   <li>Shifts and masks on {@code ByteVector} lanes were not intrinsified well; nibbles are
 *       unpacked after a zero-extending widening to int lanes.</li>
 *   <li>{@code reduceLanes} adds in a different order interpreted and compiled: never let a
 *       result depend on it (the kernels never sum across lanes; attention sums in a fixed
 *       order).</li>
 *   <li>Decode (one token) reads the packed quants: per column one load, one conversion, one
 *       broadcast and one fused multiply-add per {@code L} rows, with four independent exact
 *       partial sums per block so the multiply-add latency is not the limit. At 256 and 128 bits
 *       that is two and four times the instructions per weight of 512 bits: 16-bit products
 *       without a pairwise multiply-add ({@code vpmaddwd}, which the Vector API does not expose)
 *       save little, and two groups per step sharing a broadcast measured slower.</li>
 *   <li>Batches of 4+ tokens convert a group's weights once to a float panel and run tiles of 8
 *       tokens over it (one weight load, eight fused multiply-adds); totals that change once per
 *       block may live in a small array: sixteen live vectors spill with AVX2's sixteen registers
 *       ({@link io.llmswarm.engine.tensor.KQuantPanel}). Chunks get at most 384 KiB of weights.</li>
 *   <li>Q6_K keeps its six bits packed (as three int words per 16 values, one {@code and} per
 *       value); widened to a byte per quant it was slower from memory and in cache.</li>
 *   <li>Packed weights are read through a segment spanning all memory at absolute addresses
 *       (its bounds check is cheaper); sizes are checked up front, packed segments are padded
 *       for the narrow byte loads, and a matrix whose arena was closed refuses to multiply.</li>
 *   <li>A shift by a count that is not a constant ({@code lanewise(LSHR, 2 * c)} in a loop over
 *       c) halved a packed Q5_K kernel: shift by a vector of counts made once outside the loop
 *       instead ({@code vpsrlvd}).</li>
 *   <li>A scalar read ahead as a prefetch made decode kernels 30% to 3x slower, every time.</li>
 * </ul>
 */
package io.llmswarm.engine.tensor;
