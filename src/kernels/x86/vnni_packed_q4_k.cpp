// AVX-512 VNNI GEMM over packed Q4_K against plain Q8_K activations: the AVX2 tile
// (avx2_q4_k_x8.h) with a sub-block's products summed by vpdpbusd into int32 row lanes, then
// multiplied by the rows' 6-bit scales (vpmulld) instead of madd'ed as int16 pairs; on two
// groups at once (vnni_packed.h) where there are two.
#include "kernels/x86/avx2_q4_k_x8.h"
#include "kernels/x86/vnni.h"
#include "kernels/x86/vnni_packed.h"

namespace minnow::kernels::vnni {
namespace {

using avx2::packed_gemm::bcast4;

// Low and high nibbles in chains of their own: one chain of dependent vpdpbusd per activation
// row would leave the unit waiting on its latency.
struct VnniDot {
  struct Partial {
    __m256i lo, hi;
  };
  static Partial zero() { return {_mm256_setzero_si256(), _mm256_setzero_si256()}; }
  static Partial add(Partial p, __m256i lo, __m256i hi, const int8_t* xs) {
    return {_mm256_dpbusd_epi32(p.lo, lo, bcast4(xs)), _mm256_dpbusd_epi32(p.hi, hi, bcast4(xs + 16))};
  }
  // A doubled scale s | s << 16 per lane, to s.
  static __m256i scale_operand(__m256i doubled) { return _mm256_srli_epi32(doubled, 16); }
  static __m256i scaled(Partial p, __m256i scale) { return _mm256_mullo_epi32(_mm256_add_epi32(p.lo, p.hi), scale); }
};

using avx2::q4_k_x8::decode_mins;
using avx2::q4_k_x8::min_dot;
using avx2::q4_k_x8::MinPairs;
using packed::kQ4Chunks;
using packed::kQ4Subs;
using packed::Q4_Kx8;
using Q8_K = layout::Q8_K;

// A group's 64 six-bit scales as bytes, v[8 s + r] (sub-block s, row r).
struct ScaleBytes {
  alignas(32) uint8_t v[64];
};

inline void decode_scales(const packed::SixBit64& in, ScaleBytes& out) {
  const auto [first, second] = avx2::q4_k_x8::six_bit_bytes(in);
  _mm256_store_si256(reinterpret_cast<__m256i*>(out.v), first);
  _mm256_store_si256(reinterpret_cast<__m256i*>(out.v + 32), second);
}

// Sub-block s's scales of 16 rows (both groups) as int32.
inline __m512i pair_scales(const ScaleBytes& s0, const ScaleBytes& s1, int s) {
  const __m128i lo = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s0.v + 8 * s));
  const __m128i hi = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s1.v + 8 * s));
  return _mm512_cvtepu8_epi32(_mm_unpacklo_epi64(lo, hi));
}

// Two groups (rows r..r+15) against N activation rows: per row lane the float steps of
// Tile<VnniDot, N', false> of avx2_q4_k_x8.h for the 8-row tile N' that the AVX2 walk gives
// these rows (partial tiles, N < 4, keep the mins apart), so the results are the same bits.
template <int N>
void pair_tile(const GemmArgs& a, int64_t r, int64_t b) {
  const auto* w0 = reinterpret_cast<const Q4_Kx8*>(a.w + size_t(r) * a.w_row_bytes);
  const auto* w1 = reinterpret_cast<const Q4_Kx8*>(a.w + size_t(r + packed::kRows) * a.w_row_bytes);
  const Q8_K* x[N];
  for (int n = 0; n < N; ++n) x[n] = reinterpret_cast<const Q8_K*>(a.x + size_t(b + n) * a.x_row_bytes);
  constexpr bool kSeparateMins = N < 4;
  __m512 acc[N], acc_min[kSeparateMins ? N : 1];
  for (int n = 0; n < N; ++n) acc[n] = _mm512_setzero_ps();
  for (__m512& m : acc_min) m = _mm512_setzero_ps();
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const int64_t blocks = a.k / layout::kQKK;
  for (int64_t j = 0; j < blocks; ++j) {
    const Q4_Kx8& b0 = w0[j];
    const Q4_Kx8& b1 = w1[j];
    for (const Q4_Kx8* blk : {&b0, &b1}) {
      const char* ahead = reinterpret_cast<const char*>(blk) + avx2::q4_k_x8::kPrefetchBytes;
      for (size_t off = 0; off < sizeof(Q4_Kx8); off += 64) _mm_prefetch(ahead + off, _MM_HINT_T0);
    }
    ScaleBytes sc0, sc1;
    decode_scales(b0.scales, sc0);
    decode_scales(b1.scales, sc1);
    __m512i sum[N];
    for (int n = 0; n < N; ++n) sum[n] = _mm512_setzero_si512();
#pragma GCC unroll 8
    for (int s = 0; s < kQ4Subs; ++s) {
      __m512i p[N];
      for (int n = 0; n < N; ++n) p[n] = _mm512_setzero_si512();
      for (int c = 0; c < kQ4Chunks; ++c) {
        const __m512i q = pairs::load_pair(b0.q[s][c], b1.q[s][c]);
        const __m512i lo = _mm512_and_si512(q, low4), hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), low4);
        for (int n = 0; n < N; ++n) {
          const int8_t* xs = x[n][j].qs + 32 * s + 4 * c;
          p[n] = _mm512_dpbusd_epi32(p[n], lo, pairs::bcast4(xs));
          p[n] = _mm512_dpbusd_epi32(p[n], hi, pairs::bcast4(xs + 16));
        }
      }
      const __m512i scale = pair_scales(sc0, sc1, s);
      for (int n = 0; n < N; ++n) {
        sum[n] = _mm512_add_epi32(sum[n], _mm512_mullo_epi32(p[n], scale));
        pairs::keep_sum_order(sum[n]);
      }
    }
    const MinPairs mins0 = decode_mins(b0.mins), mins1 = decode_mins(b1.mins);
    const __m512 d = pairs::row_scales(b0.d, b1.d), dmin = pairs::row_scales(b0.dmin, b1.dmin);
    for (int n = 0; n < N; ++n) {
      const __m512i msum = pairs::join(min_dot(mins0, x[n][j].bsums), min_dot(mins1, x[n][j].bsums));
      const __m512 xd = _mm512_set1_ps(x[n][j].d);
      acc[n] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[n]), _mm512_mul_ps(d, xd), acc[n]);
      if constexpr (kSeparateMins)
        acc_min[n] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(msum), _mm512_mul_ps(dmin, xd), acc_min[n]);
      else
        acc[n] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(msum), _mm512_mul_ps(dmin, xd), acc[n]);
    }
  }
  for (int n = 0; n < N; ++n) {
    const __m512 out = kSeparateMins ? _mm512_sub_ps(acc[n], acc_min[n]) : acc[n];
    _mm512_storeu_ps(a.y + (b + n) * a.y_stride + r, out);
  }
}

struct Q4KKernel {
  template <int N>
  static void pair(const GemmArgs& a, int64_t r, int64_t b) { pair_tile<N>(a, r, b); }
  template <int N>
  static void tile(const GemmArgs& a, int64_t r, int64_t b) { avx2::q4_k_x8::Tile<VnniDot, N, false>::run(a, r, b); }
};

}  // namespace

void gemm_q4_k_x8(const GemmArgs& a, int64_t r0, int64_t r1) {
  if (a.nb < pairs::kMinBatch) return avx2::gemm_q4_k_x8(a, r0, r1);
  pairs::run<Q4KKernel>(a, r0, r1);
}

}  // namespace minnow::kernels::vnni
