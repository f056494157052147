// AVX-512 VNNI GEMM over packed Q6_K against plain Q8_K activations: the AVX2 tile
// (avx2_q6_k_x8.h) with a group's products summed by vpdpbusd into int32 row lanes, then
// multiplied by the rows' int8 group scales (vpmulld) instead of madd'ed as int16 pairs; batches
// of 5 rows or more on two groups at once (vnni_packed.h).
#include "kernels/x86/avx2_q6_k_x8.h"
#include "kernels/x86/vnni.h"
#include "kernels/x86/vnni_packed.h"

namespace minnow::kernels::vnni {
namespace {

using avx2::packed_gemm::bcast4;
using avx2::q6_k_x8::Group;

struct VnniDot {
  // A doubled signed scale s | s << 16 per lane, to s.
  static __m256i scale_operand(__m256i doubled) { return _mm256_srai_epi32(doubled, 16); }
  static __m256i group(const Group& g, const int8_t* x, __m256i scale) {
    __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), g.q[0], bcast4(x));
    p = _mm256_dpbusd_epi32(p, g.q[1], bcast4(x + 4));
    p = _mm256_dpbusd_epi32(p, g.q[2], bcast4(x + 8));
    p = _mm256_dpbusd_epi32(p, g.q[3], bcast4(x + 12));
    return _mm256_mullo_epi32(p, scale);
  }
};

using packed::Q6_Kx8;
using Q8_K = layout::Q8_K;

// The 4 chunk vectors of a group of two packed groups (16 rows), as avx2::q6_k_x8::decode_group.
struct PairGroup {
  __m512i q[4];
};

inline PairGroup decode_pair(const uint8_t (*p0)[packed::kRows * packed::kQ6ChunksPerGroup],
                             const uint8_t (*p1)[packed::kRows * packed::kQ6ChunksPerGroup]) {
  const __m512i low6 = _mm512_set1_epi8(0x3F), top2 = _mm512_set1_epi8(int8_t(0xC0));
  const __m512i a = pairs::load_pair(p0[0], p1[0]), b = pairs::load_pair(p0[1], p1[1]);
  const __m512i c = pairs::load_pair(p0[2], p1[2]);
  PairGroup g;
  g.q[0] = _mm512_and_si512(a, low6);
  g.q[1] = _mm512_and_si512(b, low6);
  g.q[2] = _mm512_and_si512(c, low6);
  const __m512i hi = _mm512_or_si512(_mm512_srli_epi16(_mm512_and_si512(a, top2), 2),
                                     _mm512_srli_epi16(_mm512_and_si512(b, top2), 4));
  g.q[3] = _mm512_or_si512(hi, _mm512_srli_epi16(_mm512_and_si512(c, top2), 6));
  return g;
}

inline __m512i pair_group_dot(const PairGroup& g, const int8_t* x, __m512i scale) {
  __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), g.q[0], pairs::bcast4(x));
  p = _mm512_dpbusd_epi32(p, g.q[1], pairs::bcast4(x + 4));
  p = _mm512_dpbusd_epi32(p, g.q[2], pairs::bcast4(x + 8));
  p = _mm512_dpbusd_epi32(p, g.q[3], pairs::bcast4(x + 12));
  return _mm512_mullo_epi32(p, scale);
}

// Two groups (rows r..r+15) against N activation rows: avx2::q6_k_x8::tile's integer sums and
// float steps per row lane, so the same bits.
template <int N>
void pair_tile(const GemmArgs& a, int64_t r, int64_t b) {
  const auto* w0 = reinterpret_cast<const Q6_Kx8*>(a.w + size_t(r) * a.w_row_bytes);
  const auto* w1 = reinterpret_cast<const Q6_Kx8*>(a.w + size_t(r + packed::kRows) * a.w_row_bytes);
  const Q8_K* x[N];
  for (int n = 0; n < N; ++n) x[n] = reinterpret_cast<const Q8_K*>(a.x + size_t(b + n) * a.x_row_bytes);
  __m512 acc[N];
  for (int n = 0; n < N; ++n) acc[n] = _mm512_setzero_ps();
  const int64_t blocks = a.k / layout::kQKK;
  for (int64_t j = 0; j < blocks; ++j) {
    const Q6_Kx8& b0 = w0[j];
    const Q6_Kx8& b1 = w1[j];
    __m512i sum[N];
    for (int n = 0; n < N; ++n) sum[n] = _mm512_setzero_si512();
    for (int p = 0; p < packed::kQ6Groups / 2; ++p) {
      const __m256i s0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b0.scales[p])));
      const __m256i s1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b1.scales[p])));
      const auto offset_of = [](__m256i s) {
        return _mm256_slli_epi16(_mm256_unpacklo_epi16(s, _mm256_bsrli_epi128(s, 8)), 5);
      };
      const __m512i offset = pairs::join(offset_of(s0), offset_of(s1));
      const PairGroup g0 = decode_pair(b0.q[2 * p], b1.q[2 * p]);
      const __m512i sc0 = _mm512_srai_epi32(pairs::join(_mm256_unpacklo_epi16(s0, s0), _mm256_unpacklo_epi16(s1, s1)), 16);
      for (int n = 0; n < N; ++n) {
        sum[n] = _mm512_add_epi32(sum[n], pair_group_dot(g0, x[n][j].qs + 32 * p, sc0));
        pairs::keep_sum_order(sum[n]);
      }
      const PairGroup g1 = decode_pair(b0.q[2 * p + 1], b1.q[2 * p + 1]);
      const __m512i sc1 = _mm512_srai_epi32(pairs::join(_mm256_unpackhi_epi16(s0, s0), _mm256_unpackhi_epi16(s1, s1)), 16);
      for (int n = 0; n < N; ++n) {
        sum[n] = _mm512_add_epi32(sum[n], pair_group_dot(g1, x[n][j].qs + 32 * p + 16, sc1));
        sum[n] = _mm512_sub_epi32(sum[n], _mm512_madd_epi16(offset, pairs::bcast4(x[n][j].bsums + 2 * p)));
      }
    }
    for (const Q6_Kx8* blk : {&b0, &b1}) {
      const char* ahead = reinterpret_cast<const char*>(blk) + avx2::q6_k_x8::kPrefetchBytes;
      for (size_t off = 0; off < sizeof(Q6_Kx8); off += 64) _mm_prefetch(ahead + off, _MM_HINT_T0);
    }
    const __m512 d = pairs::row_scales(b0.d, b1.d);
    for (int n = 0; n < N; ++n)
      acc[n] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[n]), _mm512_mul_ps(d, _mm512_set1_ps(x[n][j].d)), acc[n]);
  }
  for (int n = 0; n < N; ++n) _mm512_storeu_ps(a.y + (b + n) * a.y_stride + r, acc[n]);
}

struct Q6KKernel {
  template <int N>
  static void pair(const GemmArgs& a, int64_t r, int64_t b) { pair_tile<N>(a, r, b); }
  template <int N>
  static void tile(const GemmArgs& a, int64_t r, int64_t b) { avx2::q6_k_x8::tile<VnniDot, N>(a, r, b); }
};

}  // namespace

// Decode and small batches keep the 8-row VNNI tiles: unlike Q4_0's, Q8_0's and Q4_K's they
// read weights no slower than the AVX2 ones (kernels_bench BM_Packed/q6_K/1 against
// BM_PackedBelowBest/q6_K/1, Zen 4, two sessions: 660 vs 755 us, 820 vs 824 us).
void gemm_q6_k_x8(const GemmArgs& a, int64_t r0, int64_t r1) {
  if (a.nb < pairs::kMinBatch) return avx2::packed_gemm::run<Q6KKernel>(a, r0, r1);
  pairs::run<Q6KKernel>(a, r0, r1);
}

}  // namespace minnow::kernels::vnni
