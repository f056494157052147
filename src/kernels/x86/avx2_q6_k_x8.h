#pragma once
// The x86 GEMM tile over packed Q6_K (kernels/packed_q6_k.h), its int8 products left to a policy
// (AVX2 or VNNI), and the decoding of the packed 6-bit values. Include only from files
// built with at least the AVX2 flags; internal linkage, as in avx2_common.h.
#include "kernels/packed_q6_k.h"
#include "kernels/x86/avx2_packed.h"

namespace minnow::kernels::avx2::q6_k_x8 {
namespace {

using packed::kRows;
using packed::Q6_Kx8;
using Q8_K = layout::Q8_K;
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

// One group of 8 rows against N activation rows, over all super-blocks.
// Dot: one activation row's products with a group of the 8 rows, scaled by the rows' group
// scales, exactly in int32 (maddubs + madd, or VNNI):
//   Dot::scale_operand(doubled)    the scales' form for `group`, from each row's int16 scale
//                                  doubled into both halves of its lane
//   Dot::group(g, x, operand)      per row lane, scale * sum over the 16 elements of q * x
template <class Dot, int N>
void tile(const GemmArgs& a, int64_t r, int64_t b) {
  const auto* w = reinterpret_cast<const Q6_Kx8*>(a.w + size_t(r) * a.w_row_bytes);
  const Q8_K* x[N];
  for (int n = 0; n < N; ++n) x[n] = reinterpret_cast<const Q8_K*>(a.x + size_t(b + n) * a.x_row_bytes);
  __m256 acc[N];
  for (int n = 0; n < N; ++n) acc[n] = _mm256_setzero_ps();
  const int64_t blocks = a.k / layout::kQKK;
  for (int64_t j = 0; j < blocks; ++j) {
    const Q6_Kx8& blk = w[j];
    __m256i sum[N];
    for (int n = 0; n < N; ++n) sum[n] = _mm256_setzero_si256();
    for (int p = 0; p < packed::kQ6Groups / 2; ++p) {
      const __m256i s = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.scales[p])));
      const __m256i offset = _mm256_slli_epi16(_mm256_unpacklo_epi16(s, _mm256_bsrli_epi128(s, 8)), 5);
      const Group g0 = decode_group(blk.q[2 * p]);
      const __m256i s0 = Dot::scale_operand(_mm256_unpacklo_epi16(s, s));
      for (int n = 0; n < N; ++n) {
        sum[n] = _mm256_add_epi32(sum[n], Dot::group(g0, x[n][j].qs + 32 * p, s0));
        keep_sum_order(sum[n]);  // and g0 is dead before g1 is decoded: fewer live registers
      }
      const Group g1 = decode_group(blk.q[2 * p + 1]);
      const __m256i s1 = Dot::scale_operand(_mm256_unpackhi_epi16(s, s));
      for (int n = 0; n < N; ++n) {
        sum[n] = _mm256_add_epi32(sum[n], Dot::group(g1, x[n][j].qs + 32 * p + 16, s1));
        sum[n] = _mm256_sub_epi32(sum[n], _mm256_madd_epi16(offset, packed_gemm::bcast4(x[n][j].bsums + 2 * p)));
      }
    }
    const char* ahead = reinterpret_cast<const char*>(&blk) + kPrefetchBytes;
    for (size_t off = 0; off < sizeof(Q6_Kx8); off += 64) _mm_prefetch(ahead + off, _MM_HINT_T0);
    const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.d)));
    for (int n = 0; n < N; ++n)
      acc[n] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[n]), _mm256_mul_ps(d, _mm256_broadcast_ss(&x[n][j].d)), acc[n]);
  }
  for (int n = 0; n < N; ++n) _mm256_storeu_ps(a.y + (b + n) * a.y_stride + r, acc[n]);
}

}  // namespace
}  // namespace minnow::kernels::avx2::q6_k_x8
