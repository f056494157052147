#pragma once
// The AVX-512 GEMM tiles over the packed legacy layouts (Q4_0, Q8_0) and their shared pieces,
// for the avx512 (F/BW/VL) and avx512vnni tables. Include only from files built with AVX-512
// flags (see CMakeLists.txt); internal linkage, as in avx2_common.h.
//
// A 512-bit vector holds the same 4-byte lane of two consecutive packed groups (16 weight
// rows), so one activation broadcast feeds the products of 16 rows: half the broadcasts and
// weight unpacking of two 8-row tiles. Per row lane every step is the 8-row tile's, so the
// results are the same bits.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/packed.h"
#include "kernels/x86/avx2_packed.h"

namespace minnow::kernels::avx512::pairs {
namespace {

constexpr int kPairRows = 2 * packed::kRows;

// Below this many activation rows 8-row tiles serve every packed type (AVX2's, or VNNI's own
// for Q4_0, Q8_0 and Q4_K decode, vnni_packed.cpp): decode and small batches are memory-bound,
// and there the 16-row VNNI tiles read the weights slower than
// AVX2's (kernels_bench BM_Packed against BM_PackedAvx2, q4_0, 1 thread, Zen 4: nb = 1
// 609 vs 387 us, nb = 4 724 vs 592, nb = 5 822 vs 841, nb = 8 873 vs 1336; the cause is not
// established: splitting the sums into more dependency chains did not change it).
constexpr int64_t kMinBatch = 5;

inline __m512i join(__m256i lo, __m256i hi) { return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1); }

// The same 32 bytes of two groups: group g0's in the low half, g1's in the high half.
inline __m512i load_pair(const void* g0, const void* g1) {
  return join(avx2::packed_gemm::load32(g0), avx2::packed_gemm::load32(g1));
}

// The 16 rows' fp16 scales of two groups (8 each), as floats in row order.
inline __m512 row_scales(const uint16_t* d0, const uint16_t* d1) {
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d0));
  const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d1));
  return _mm512_cvtph_ps(_mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1));
}

// 4 bytes broadcast to all 16 row lanes.
inline __m512i bcast4(const void* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return _mm512_set1_epi32(v);
}

// As avx2::keep_sum_order: the sums stay a chain, not a tree that spills registers.
inline void keep_sum_order(__m512i& v) { asm("" : "+v"(v)); }

// Runs Kernel::pair<N>(a, r, b) over pairs of groups in rows [r0, r1) and every activation
// row (N <= 8: twice the 8-row tiles' rows, as 32 vector registers leave room for 8 sums and
// 8 accumulators), in activation chunks that stay in cache as in avx2::packed_gemm::run; a last
// single group goes to `rest`, an 8-row GEMM over the same layout.
template <class Kernel>
void run(const GemmArgs& a, int64_t r0, int64_t r1, GemmFn rest) {
  const int64_t r_pairs = r0 + (r1 - r0) / kPairRows * kPairRows;
  const int64_t chunk = a.nb == 1 ? 1 : avx2::act_chunk(a.x_row_bytes);
  for (int64_t b0 = 0; b0 < a.nb; b0 += chunk) {
    const int64_t b1 = b0 + chunk < a.nb ? b0 + chunk : a.nb;
    for (int64_t r = r0; r < r_pairs; r += kPairRows)
      avx2::packed_gemm::over_tiles<8>(b0, b1, [&]<int N>(int64_t b) { Kernel::template pair<N>(a, r, b); });
  }
  if (r_pairs < r1) rest(a, r_pairs, r1);
}

// A tile over two groups (rows r..r+15) of a packed legacy layout against N Q8S activation
// rows: avx2::packed_gemm::group_tile's integer sums and float steps per row lane, 16 lanes
// wide. P: as group_tile's, with 512-bit steps over two blocks.
template <class P, int N>
void legacy_pair_tile(const GemmArgs& a, int64_t r, int64_t b) {
  using Block = typename P::Block;
  using packed::Q8S;
  const auto* w0 = reinterpret_cast<const Block*>(a.w + size_t(r) * a.w_row_bytes);
  const auto* w1 = reinterpret_cast<const Block*>(a.w + size_t(r + packed::kRows) * a.w_row_bytes);
  const Q8S* x[N];
  for (int n = 0; n < N; ++n) x[n] = reinterpret_cast<const Q8S*>(a.x + size_t(b + n) * a.x_row_bytes);
  __m512 acc[N];
  for (int n = 0; n < N; ++n) acc[n] = _mm512_setzero_ps();
  const int64_t blocks = a.k / layout::kQK;
  for (int64_t j = 0; j < blocks; ++j) {
    for (const Block* w : {w0, w1}) {
      const char* ahead = reinterpret_cast<const char*>(&w[j + avx2::packed_gemm::kPrefetchBlocks<Block>]);
      avx2::packed_gemm::prefetch_weights(a, ahead, sizeof(Block));
    }
    __m512i sums[N];
    for (int n = 0; n < N; ++n) sums[n] = _mm512_setzero_si512();
#pragma GCC unroll 8
    for (int m = 0; m < P::kSteps; ++m) {
      P::template step<N>(w0[j], w1[j], m, x, j, sums);
      for (int n = 0; n < N; ++n) keep_sum_order(sums[n]);
    }
    const __m512 dw = row_scales(w0[j].d, w1[j].d);
    for (int n = 0; n < N; ++n) {
      const __m512 d = _mm512_mul_ps(dw, _mm512_set1_ps(x[n][j].d));
      acc[n] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(P::finish(sums[n], x[n][j])), d, acc[n]);
    }
  }
  for (int n = 0; n < N; ++n) _mm512_storeu_ps(a.y + (b + n) * a.y_stride + r, acc[n]);
}

template <class P>
struct LegacyPairKernel {
  template <int N>
  static void pair(const GemmArgs& a, int64_t r, int64_t b) { legacy_pair_tile<P, N>(a, r, b); }
};

// Q4_0: unsigned nibbles q with value q - 8; sum(q*x) - 8*sum(x) per row. Products::add(acc, u,
// s) adds 4 products of unsigned u and signed s bytes per 32-bit lane to acc (u < 16 here).
template <class Products>
struct PairQ4_0 {
  using Block = packed::Q4_0x8;
  static constexpr int kSteps = 4;  // step m: elements 4m..4m+3 (low) and 16+4m.. (high)
  template <int N>
  static void step(const Block& b0, const Block& b1, int m, const packed::Q8S* const* x, int64_t j, __m512i* sums) {
    const __m512i low4 = _mm512_set1_epi8(0x0F);
    const __m512i v = load_pair(b0.qs + 32 * m, b1.qs + 32 * m);
    const __m512i lo = _mm512_and_si512(v, low4), hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
    for (int n = 0; n < N; ++n) {
      const packed::Q8S& xa = x[n][j];
      sums[n] = Products::add(sums[n], lo, bcast4(xa.qs + 4 * m));
      sums[n] = Products::add(sums[n], hi, bcast4(xa.qs + 16 + 4 * m));
    }
  }
  static __m512i finish(__m512i s, const packed::Q8S& xa) {
    return _mm512_add_epi32(s, _mm512_set1_epi32(packed::q8s_offset(xa)));
  }
};

}  // namespace
}  // namespace minnow::kernels::avx512::pairs
