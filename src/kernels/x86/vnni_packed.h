#pragma once
// Shared pieces of the AVX-512 VNNI GEMMs over packed layouts. Include only from files built
// with the VNNI flags (see CMakeLists.txt); internal linkage, as in avx2_common.h.
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

namespace minnow::kernels::vnni::pairs {
namespace {

constexpr int kPairRows = 2 * packed::kRows;

// Below this many activation rows the AVX2 kernels serve Q4_0, Q8_0 and Q4_K: decode and
// small batches are memory-bound, and there vpdpbusd's tiles read the weights slower than
// maddubs' (kernels_bench BM_Packed against BM_PackedBelowBest, q4_0, 1 thread: nb = 1 609 vs
// 387 us, nb = 4 724 vs 592, nb = 5 822 vs 841, nb = 8 873 vs 1336; the cause is not
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
// 8 accumulators), and Kernel::tile<N> (N <= 4) over a last single group, in activation chunks
// that stay in cache as in avx2::packed_gemm::run.
template <class Kernel>
void run(const GemmArgs& a, int64_t r0, int64_t r1) {
  const int64_t chunk = a.nb == 1 ? 1 : avx2::act_chunk(a.x_row_bytes);
  for (int64_t b0 = 0; b0 < a.nb; b0 += chunk) {
    const int64_t b1 = b0 + chunk < a.nb ? b0 + chunk : a.nb;
    int64_t r = r0;
    for (; r + kPairRows <= r1; r += kPairRows)
      avx2::packed_gemm::over_tiles<8>(b0, b1, [&]<int N>(int64_t b) { Kernel::template pair<N>(a, r, b); });
    if (r < r1)
      avx2::packed_gemm::over_tiles<4>(b0, b1, [&]<int N>(int64_t b) { Kernel::template tile<N>(a, r, b); });
  }
}

}  // namespace
}  // namespace minnow::kernels::vnni::pairs
