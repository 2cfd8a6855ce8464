/**
 * Matrix kernels of the Java engine: weights repacked at load time for the vector width
 * ({@link io.llmswarm.engine.tensor.PackedMatrix}) or read in place from memory segments (slices
 * of a mapped GGUF file), activations encoded the way llama.cpp's CPU backend encodes them
 * ({@link io.llmswarm.engine.tensor.ActivationFormat#forWeight}), integer block dot products
 * with llama.cpp's scale formulas, and a dedicated kernel thread pool
 * ({@link io.llmswarm.engine.tensor.MatMul}).
 *
 * <p>Notes for whoever changes a kernel (learned the hard way, JDK 25):
 * <ul>
 *   <li>The vector width is the machine's ({@code VectorWidth}: 512 bits with AVX-512, 256 with
 *       AVX2, 128 on NEON, or {@code -Dllmswarm.vector.bits}); a species wider than the hardware
 *       is not compiled to SIMD and runs 10x slower or worse. Packed kernels take their species
 *       from {@code VectorWidth.FLOATS} (static finals, derived shapes for bytes, shorts and
 *       ints) and are written for any lane count {@code L}: rows interleaved one per lane, never
 *       a sum across lanes. Only the in-place K-quant kernels still assume 16 float lanes
 *       ({@code SegmentMatrix.F}). Test every kernel at 512, 256 and 128 bits:
 *       {@code -DargLine="-XX:UseAVX=2"}, {@code "-XX:MaxVectorSize=16"},
 *       {@code "-Dllmswarm.vector.bits=128"}.</li>
 *   <li>A packed row's result does not depend on the width or the batch. Quantized types sum
 *       each block exactly and fold the blocks in order by fused multiply-adds; float types (no
 *       exact sums) run four fixed chains of fused multiply-adds per row, chain {@code j} over
 *       columns {@code j, j+4, ...}, added as {@code (c0 + c1) + (c2 + c3)}
 *       ({@code FloatPanel}). A fixed number of chains per row, not per vector, is what keeps
 *       the width out of the rounding.</li>
 *   <li>C2 stops inlining Vector API code once a compiled method grows past its node budget
 *       (about 20 vector operations); a vector that crosses a call that was not inlined is
 *       boxed, and the kernel becomes 5-10x slower. Keep one call site of a small block helper
 *       inside a loop, keep helpers under 325 bytes of bytecode, and never pass vectors to
 *       methods that might not inline.</li>
 *   <li>Shifts and masks on {@code ByteVector} lanes were not intrinsified well; nibbles are
 *       unpacked after a zero-extending widening to int lanes.</li>
 *   <li>{@code reduceLanes} adds in a different order interpreted and compiled; lane sums go
 *       through {@code SegmentMatrix.sumLanes} so a result does not depend on JIT state.</li>
 *   <li>Integer products in 16-bit lanes ({@code ShortVector}, widened with {@code B2S} or
 *       {@code ZERO_EXTEND_B2S}) beat widening both operands to floats: Q8_0 one token went
 *       from about 9 to 13-14 Gelem/s streamed. Activations keep their quants as shorts for
 *       this ({@link io.llmswarm.engine.tensor.ActivationBatch}). A pair of 16-bit products is
 *       summed into 32 bits as {@code ((p << 16) + p) >> 16} on the int view.</li>
 *   <li>A one-token dot written as a single loop body (no block helper, one accumulator) is
 *       unrolled four times by C2 with activations held in registers; a helper with two
 *       accumulators measured 15-20% slower, eight tokens per weight block (many live
 *       vectors) slower than four, and a scalar read ahead as a prefetch 30% slower.</li>
 *   <li>Packed batches of 4+ tokens convert a group's weights once to a float panel and run
 *       tiles of 8 tokens over it (one weight load, eight fused multiply-adds). In-place kernels
 *       run batches in tiles of tokens ({@code SegmentMatrix.TILE_BYTES} of activations); both
 *       get chunks of at most 384 KiB of weights, so neither streams from L3 per row.</li>
 *   <li>Q6_K (about 3.2 Gelem/s) is not limited by its vector width or its multiply-add chain:
 *       16-bit lanes, split chains, and constant shifts changed nothing; still to find.</li>
 *   <li>Native weights are read through a segment spanning all memory at absolute addresses
 *       (its bounds check is cheaper); matrix sizes are checked up front, and a matrix whose
 *       arena was closed refuses to multiply.</li>
 *   <li>A shift by a count that is not a constant ({@code lanewise(LSHR, 2 * c)} in a loop over
 *       c) halved a packed Q5_K kernel: shift by a vector of counts made once outside the loop
 *       instead ({@code vpsrlvd}).</li>
 *   <li>A kernel that keeps sixteen vectors live (eight tokens' sums and eight exact int
 *       totals) runs at half speed with AVX2's sixteen registers: keep rarely updated totals in
 *       a small array ({@link io.llmswarm.engine.tensor.KQuantPanel}).</li>
 * </ul>
 */
package io.llmswarm.engine.tensor;
