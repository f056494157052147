#pragma once
// Shared pieces of the AVX2 GEMMs over packed (8-row interleaved) layouts. Include only from
// files compiled with the AVX2 flags (see avx2_common.h).
#include "kernels/packed.h"
#include "kernels/x86/avx2_common.h"

namespace minnow::kernels::avx2::packed_gemm {
namespace {  // internal linkage, as in avx2_common.h

inline __m256i load32(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// 4 bytes broadcast to every 32-bit lane, i.e. to every weight row of a packed vector.
// vbroadcastss from memory is a load alone on Zen (no vector-pipe uop, unlike vpbroadcastd);
// the kernels are short of vector pipes, not of loads.
inline __m256i bcast4(const void* p) {
  return _mm256_castps_si256(_mm256_broadcast_ss(static_cast<const float*>(p)));
}

// Calls f.template operator()<N>(b) over activation rows [b0, b1): tiles of kMax rows (4 or
// 8), then of 4, then one of the 1-3 left.
template <int kMax, class F>
void over_tiles(int64_t b0, int64_t b1, F&& f) {
  int64_t b = b0;
  if constexpr (kMax == 8)
    for (; b + 8 <= b1; b += 8) f.template operator()<8>(b);
  for (; b + 4 <= b1; b += 4) f.template operator()<4>(b);
  switch (b1 - b) {
    case 3: f.template operator()<3>(b); break;
    case 2: f.template operator()<2>(b); break;
    case 1: f.template operator()<1>(b); break;
    default: break;
  }
}

// Runs Kernel::tile<N>(a, r, b) (one group of packed::kRows weight rows at row r against
// activation rows b..b+N-1, N <= 4) over rows [r0, r1) and every activation row. Activations
// go in chunks that stay in cache while every group of the range passes over them.
// Kernel is a class, not a template template argument: gcc gives an instantiation over a
// class template from an anonymous namespace external linkage, and the linker then merges the
// different files' kernels into one.
template <class Kernel>
void run(const GemmArgs& a, int64_t r0, int64_t r1) {
  const int64_t chunk = a.nb == 1 ? 1 : act_chunk(a.x_row_bytes);
  for (int64_t b0 = 0; b0 < a.nb; b0 += chunk) {
    const int64_t b1 = b0 + chunk < a.nb ? b0 + chunk : a.nb;
    for (int64_t r = r0; r < r1; r += packed::kRows)
      over_tiles<4>(b0, b1, [&]<int N>(int64_t b) { Kernel::template tile<N>(a, r, b); });
  }
}

inline __m256 row_scales(const uint16_t* d) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(d)));
}

// Groups follow each other in memory, so the weights are one stream. Where the table asks for
// it (KernelTable::prefetch_weights: the AVX2 table; on Zen 3 the hardware prefetcher alone
// left decode waiting on DRAM), each block asks for the bytes about 4 KiB ahead. Farther is
// worse: 8 K-quant blocks (9-13 KiB) ahead read Q4_K 15% and Q6_K 35% slower than 3
// (kernels_bench BM_Packed/q4_K/1, q6_K/1, Zen 4, 4 KiB pages), lines reaching L1 too early.
constexpr size_t kPrefetchAheadBytes = 4096;
template <class Block>
constexpr int64_t kPrefetchBlocks = sizeof(Block) >= kPrefetchAheadBytes ? 1 : kPrefetchAheadBytes / sizeof(Block);

// Batches up to one tile of activation rows read each weight byte once, from memory: those
// ask for weights ahead. A larger batch reads a group's weights from memory for its first
// tile only and from cache for the rest, where requests are only extra load slots (Q4_0 and
// Q8_0 prefill tiles ran ~9% faster without them: kernels_bench BM_Packed/q4_0/64, q8_0/64).
constexpr int64_t kPrefetchMaxBatch = 4;

// Whether this call asks for weights ahead: the table wants it and the batch reads from memory.
inline bool wants_prefetch(const GemmArgs& a) { return a.prefetch && a.nb <= kPrefetchMaxBatch; }

// Asks for `bytes` of weights at p, about to be needed, when the table wants it (GemmArgs).
// Always inline: gcc otherwise splits off the part after the early return, finds that it has
// no effect it models (a prefetch has none) and deletes the call.
[[gnu::always_inline]] inline void prefetch_weights(const GemmArgs& a, const char* p, size_t bytes) {
  if (!wants_prefetch(a)) return;
  for (size_t off = 0; off < bytes; off += 64) _mm_prefetch(p + off, _MM_HINT_T0);
}

// prefetch_weights for one of `parts` slices of the block at p: the cache lines that start in
// bytes [part, part + 1) * bytes / parts (slice 0 also the line holding p). A block of K-quant
// rows (1-2 KiB) asked for at once is 18-27 requests in a burst, more than the core keeps in
// flight; a slice per step of the block's loop keeps them spread. Always inline, as above.
[[gnu::always_inline]] inline void prefetch_weights_part(const GemmArgs& a, const char* p, size_t bytes, int part,
                                                         int parts) {
  if (!wants_prefetch(a)) return;
  const uintptr_t base = reinterpret_cast<uintptr_t>(p);
  const uintptr_t end = base + bytes * size_t(part + 1) / size_t(parts);
  uintptr_t line = part == 0 ? base : base + bytes * size_t(part) / size_t(parts) + 63;
  for (line &= ~uintptr_t(63); line < end; line += 64) _mm_prefetch(reinterpret_cast<const char*>(line), _MM_HINT_T0);
}

// One group of 8 rows of a packed legacy type (32-element blocks: Q4_0x8, Q8_0x8) against N
// Q8S activation rows, over all blocks. P walks a block in P::kSteps steps: a step's weights of
// all 8 rows are made ready once and multiplied with every activation row of the tile before
// the next step (keeping one step of weights live, not a whole block, leaves registers for the
// per-row sums; holding the block spilled at 4 activation rows). P::finish turns a block's
// integer sums of one activation row into exact int32 row sums.
template <class P, int N>
void group_tile(const GemmArgs& a, int64_t r, int64_t b) {
  const auto* w = reinterpret_cast<const typename P::Block*>(a.w + size_t(r) * a.w_row_bytes);
  const packed::Q8S* x[N];
  for (int n = 0; n < N; ++n) x[n] = reinterpret_cast<const packed::Q8S*>(a.x + size_t(b + n) * a.x_row_bytes);
  __m256 acc[N];
  for (int n = 0; n < N; ++n) acc[n] = _mm256_setzero_ps();
  const int64_t blocks = a.k / layout::kQK;
  for (int64_t j = 0; j < blocks; ++j) {
    const char* ahead = reinterpret_cast<const char*>(&w[j + kPrefetchBlocks<typename P::Block>]);
    prefetch_weights(a, ahead, sizeof(typename P::Block));
    typename P::Sum sums[N];
    for (int n = 0; n < N; ++n) sums[n] = P::zero();
#pragma GCC unroll 8
    for (int m = 0; m < P::kSteps; ++m) {
      P::template step<N>(w[j], m, x, j, sums);
      for (int n = 0; n < N; ++n) keep_sum_order(sums[n]);
    }
    const __m256 dw = row_scales(w[j].d);
    for (int n = 0; n < N; ++n) {
      const __m256 d = _mm256_mul_ps(dw, _mm256_broadcast_ss(&x[n][j].d));
      acc[n] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(P::finish(sums[n], x[n][j])), d, acc[n]);
    }
  }
  for (int n = 0; n < N; ++n) _mm256_storeu_ps(a.y + (b + n) * a.y_stride + r, acc[n]);
}

template <class P>
struct LegacyKernel {
  template <int N>
  static void tile(const GemmArgs& a, int64_t r, int64_t b) { group_tile<P, N>(a, r, b); }
};

}  // namespace
}  // namespace minnow::kernels::avx2::packed_gemm
