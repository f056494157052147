#pragma once
// Decoding packed Q6_K (kernels/packed_q6_k.h) for the x86 GEMM tiles. Include only from files
// built with at least the AVX2 flags; internal linkage, as in avx2_common.h.
#include "kernels/packed_q6_k.h"
#include "kernels/x86/avx2_packed.h"

namespace minnow::kernels::avx2::q6_k_x8 {
namespace {

using packed::kRows;
using packed::Q6_Kx8;
using packed_gemm::load32;

// The 4 chunk vectors of one group (unsigned values 0..63, 4 per row lane).
struct Group {
  __m256i q[4];
};

inline Group decode_group(const uint8_t (*planes)[kRows * packed::kQ6ChunksPerGroup]) {
  const __m256i low6 = _mm256_set1_epi8(0x3F), top2 = _mm256_set1_epi8(int8_t(0xC0));
  const __m256i a = load32(planes[0]), b = load32(planes[1]), c = load32(planes[2]);
  Group g;
  g.q[0] = _mm256_and_si256(a, low6);
  g.q[1] = _mm256_and_si256(b, low6);
  g.q[2] = _mm256_and_si256(c, low6);
  // Masked before the 16-bit shifts, so no bits cross into the neighbouring byte.
  const __m256i hi = _mm256_or_si256(_mm256_srli_epi16(_mm256_and_si256(a, top2), 2),
                                     _mm256_srli_epi16(_mm256_and_si256(b, top2), 4));
  g.q[3] = _mm256_or_si256(hi, _mm256_srli_epi16(_mm256_and_si256(c, top2), 6));
  return g;
}

// See avx2::packed_gemm::kPrefetchBlocks.
constexpr size_t kPrefetchBytes = packed_gemm::kPrefetchBlocks<Q6_Kx8> * sizeof(Q6_Kx8);

}  // namespace
}  // namespace minnow::kernels::avx2::q6_k_x8
