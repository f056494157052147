// AVX2 GEMM over packed Q6_K (kernels/packed_q6_k.h) against plain Q8_K activations.
//
// One 32-bit lane per weight row: 4 activation bytes are broadcast to all lanes and multiplied
// with 4 unsigned 6-bit weights q of each of the 8 rows (maddubs). Two such products of one
// 16-element group still fit int16 (4 * 63 * 128), so they are added as int16 and then scaled
// by the rows' group scales with one madd against a vector holding each row's scale in both
// halves of its lane. The -32 offset of the stored values is taken off once per pair of groups
// as 32 * scale * bsum (Q8_K's per-16 sums), exactly, in int32; the super-block's int32 sums
// (at most 16 * 128 * 16 * 63 * 128 in magnitude) are then scaled by the 8 rows' d at once.
#include <cstddef>

#include "kernels/layout.h"
#include "kernels/packed_q6_k.h"
#include "kernels/x86/avx2_packed.h"
#include "kernels/x86/avx2_q6_k_x8.h"

namespace minnow::kernels::avx2 {
namespace {

using packed::Q6_Kx8;
using packed_gemm::bcast4;
using q6_k_x8::decode_group;
using q6_k_x8::Group;
using q6_k_x8::kPrefetchBytes;
using Q8_K = layout::Q8_K;

// Per row lane: scale * sum over the group's 16 elements of q * x.
inline __m256i group_dot(const Group& g, const int8_t* x, __m256i scale) {
  const __m256i p01 = _mm256_add_epi16(_mm256_maddubs_epi16(g.q[0], bcast4(x)),
                                       _mm256_maddubs_epi16(g.q[1], bcast4(x + 4)));
  const __m256i p23 = _mm256_add_epi16(_mm256_maddubs_epi16(g.q[2], bcast4(x + 8)),
                                       _mm256_maddubs_epi16(g.q[3], bcast4(x + 12)));
  return _mm256_add_epi32(_mm256_madd_epi16(p01, scale), _mm256_madd_epi16(p23, scale));
}

// One group of 8 rows against N activation rows, over all super-blocks.
template <int N>
struct Tile {
  static void run(const GemmArgs& a, int64_t r, int64_t b);
};

template <int N>
void Tile<N>::run(const GemmArgs& a, int64_t r, int64_t b) {
  const auto* w = reinterpret_cast<const Q6_Kx8*>(a.w + size_t(r) * a.w_row_bytes);
  const Q8_K* x[N];
  for (int n = 0; n < N; ++n) x[n] = reinterpret_cast<const Q8_K*>(a.x + size_t(b + n) * a.x_row_bytes);
  __m256 acc[N];
  for (int n = 0; n < N; ++n) acc[n] = _mm256_setzero_ps();
  const int64_t blocks = a.k / layout::kQKK;
  for (int64_t j = 0; j < blocks; ++j) {
    const Q6_Kx8& blk = w[j];
    if (packed_gemm::wants_prefetch(a)) {
      // The next block's scales and d (its last 144 bytes) are read first, before its planes,
      // so the hardware prefetcher, following the planes upward, has not reached them yet,
      // and the slices asked for below (the block two ahead) did not keep them. Asking here
      // made Q6_K decode from memory ~5% faster (kernels_bench BM_Packed/q6_K/1, Zen 3).
      const char* next = reinterpret_cast<const char*>(w[j + 1].scales);
      _mm_prefetch(next, _MM_HINT_T0);
      _mm_prefetch(next + 64, _MM_HINT_T0);
      _mm_prefetch(next + sizeof(Q6_Kx8) - offsetof(Q6_Kx8, scales) - 1, _MM_HINT_T0);
    }
    __m256i sum[N];
    for (int n = 0; n < N; ++n) sum[n] = _mm256_setzero_si256();
    const char* ahead = reinterpret_cast<const char*>(&blk) + kPrefetchBytes;
    for (int p = 0; p < packed::kQ6Groups / 2; ++p) {
      packed_gemm::prefetch_weights_part(a, ahead, sizeof(Q6_Kx8), p, packed::kQ6Groups / 2);
      const __m256i s = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.scales[p])));
      const __m256i offset = _mm256_slli_epi16(_mm256_unpacklo_epi16(s, _mm256_bsrli_epi128(s, 8)), 5);
      const Group g0 = decode_group(blk.q[2 * p]);
      const __m256i s0 = _mm256_unpacklo_epi16(s, s);
      for (int n = 0; n < N; ++n) {
        sum[n] = _mm256_add_epi32(sum[n], group_dot(g0, x[n][j].qs + 32 * p, s0));
        keep_sum_order(sum[n]);  // and g0 is dead before g1 is decoded: fewer live registers
      }
      const Group g1 = decode_group(blk.q[2 * p + 1]);
      const __m256i s1 = _mm256_unpackhi_epi16(s, s);
      for (int n = 0; n < N; ++n) {
        sum[n] = _mm256_add_epi32(sum[n], group_dot(g1, x[n][j].qs + 32 * p + 16, s1));
        sum[n] = _mm256_sub_epi32(sum[n], _mm256_madd_epi16(offset, bcast4(x[n][j].bsums + 2 * p)));
      }
    }
    const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.d)));
    for (int n = 0; n < N; ++n)
      acc[n] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[n]), _mm256_mul_ps(d, _mm256_broadcast_ss(&x[n][j].d)), acc[n]);
  }
  for (int n = 0; n < N; ++n) _mm256_storeu_ps(a.y + (b + n) * a.y_stride + r, acc[n]);
}

struct Q6KKernel {
  template <int N>
  static void tile(const GemmArgs& a, int64_t r, int64_t b) { Tile<N>::run(a, r, b); }
};

}  // namespace

void gemm_q6_k_x8(const GemmArgs& a, int64_t r0, int64_t r1) { packed_gemm::run<Q6KKernel>(a, r0, r1); }

}  // namespace minnow::kernels::avx2
