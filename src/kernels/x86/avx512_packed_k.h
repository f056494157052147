#pragma once
// The AVX-512 GEMM tiles over packed Q4_K and Q6_K, two groups (16 weight rows) at once as in
// avx512_packed.h, for the avx512 and avx512vnni tables. Include only from files built with
// AVX-512 flags; internal linkage, as in avx2_common.h.
#include "kernels/packed_q4_k.h"
#include "kernels/packed_q6_k.h"
#include "kernels/x86/avx2_q4_k_x8.h"
#include "kernels/x86/avx2_q6_k_x8.h"
#include "kernels/x86/avx512_packed.h"

namespace minnow::kernels::avx512::pairs {
namespace {

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

// Two groups (rows r..r+15) of packed Q4_K against N Q8_K activation rows: per row lane the
// integer sums and float steps of the AVX2 tile (avx2_packed_q4_k.cpp) for the 8-row tile that the
// AVX2 walk gives these rows (partial tiles, N < 4, keep the mins apart), so the same bits.
// A sub-block's products go to int32 (Products::add, as in PairQ4_0) and are multiplied by the
// rows' 6-bit scales (vpmulld) instead of madd'ed as int16 pairs.
template <class Products, int N>
void q4_k_pair_tile(const GemmArgs& a, int64_t r, int64_t b) {
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
      avx2::packed_gemm::prefetch_weights(a, ahead, sizeof(Q4_Kx8));
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
        const __m512i q = load_pair(b0.q[s][c], b1.q[s][c]);
        const __m512i lo = _mm512_and_si512(q, low4), hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), low4);
        for (int n = 0; n < N; ++n) {
          const int8_t* xs = x[n][j].qs + 32 * s + 4 * c;
          p[n] = Products::add(p[n], lo, bcast4(xs));
          p[n] = Products::add(p[n], hi, bcast4(xs + 16));
        }
      }
      const __m512i scale = pair_scales(sc0, sc1, s);
      for (int n = 0; n < N; ++n) {
        sum[n] = _mm512_add_epi32(sum[n], _mm512_mullo_epi32(p[n], scale));
        keep_sum_order(sum[n]);
      }
    }
    const MinPairs mins0 = decode_mins(b0.mins), mins1 = decode_mins(b1.mins);
    const __m512 d = row_scales(b0.d, b1.d), dmin = row_scales(b0.dmin, b1.dmin);
    for (int n = 0; n < N; ++n) {
      const __m512i msum = join(min_dot(mins0, x[n][j].bsums), min_dot(mins1, x[n][j].bsums));
      const __m512 xd = _mm512_set1_ps(x[n][j].d);
      acc[n] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[n]), _mm512_mul_ps(d, xd), acc[n]);
      if constexpr (kSeparateMins)
        acc_min[n] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(msum), _mm512_mul_ps(dmin, xd), acc_min[n]);
      else
        acc[n] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(msum), _mm512_mul_ps(dmin, xd), acc[n]);
    }
  }
  for (int n = 0; n < N; ++n) {
    if constexpr (kSeparateMins) acc[n] = _mm512_sub_ps(acc[n], acc_min[n]);
    _mm512_storeu_ps(a.y + (b + n) * a.y_stride + r, acc[n]);
  }
}

using packed::Q6_Kx8;

// The 4 chunk vectors of a group of two packed groups (16 rows), as avx2::q6_k_x8::decode_group.
struct PairGroup {
  __m512i q[4];
};

inline PairGroup decode_pair(const uint8_t (*p0)[packed::kRows * packed::kQ6ChunksPerGroup],
                             const uint8_t (*p1)[packed::kRows * packed::kQ6ChunksPerGroup]) {
  const __m512i low6 = _mm512_set1_epi8(0x3F), top2 = _mm512_set1_epi8(int8_t(0xC0));
  const __m512i a = load_pair(p0[0], p1[0]), b = load_pair(p0[1], p1[1]);
  const __m512i c = load_pair(p0[2], p1[2]);
  PairGroup g;
  g.q[0] = _mm512_and_si512(a, low6);
  g.q[1] = _mm512_and_si512(b, low6);
  g.q[2] = _mm512_and_si512(c, low6);
  const __m512i hi = _mm512_or_si512(_mm512_srli_epi16(_mm512_and_si512(a, top2), 2),
                                     _mm512_srli_epi16(_mm512_and_si512(b, top2), 4));
  g.q[3] = _mm512_or_si512(hi, _mm512_srli_epi16(_mm512_and_si512(c, top2), 6));
  return g;
}

template <class Products>
inline __m512i pair_group_dot(const PairGroup& g, const int8_t* x, __m512i scale) {
  __m512i p = Products::add(_mm512_setzero_si512(), g.q[0], bcast4(x));
  p = Products::add(p, g.q[1], bcast4(x + 4));
  p = Products::add(p, g.q[2], bcast4(x + 8));
  p = Products::add(p, g.q[3], bcast4(x + 12));
  return _mm512_mullo_epi32(p, scale);
}

// Two groups (rows r..r+15) of packed Q6_K against N Q8_K activation rows: the integer sums
// and float steps per row lane of the AVX2 tile (avx2_packed_q6_k.cpp), so the same bits; a
// group's products go to int32 (Products::add, values < 64) and are multiplied by the rows'
// int8 group scales (vpmulld).
template <class Products, int N>
void q6_k_pair_tile(const GemmArgs& a, int64_t r, int64_t b) {
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
      const __m512i offset = join(offset_of(s0), offset_of(s1));
      const PairGroup g0 = decode_pair(b0.q[2 * p], b1.q[2 * p]);
      const __m512i sc0 = _mm512_srai_epi32(join(_mm256_unpacklo_epi16(s0, s0), _mm256_unpacklo_epi16(s1, s1)), 16);
      for (int n = 0; n < N; ++n) {
        sum[n] = _mm512_add_epi32(sum[n], pair_group_dot<Products>(g0, x[n][j].qs + 32 * p, sc0));
        keep_sum_order(sum[n]);
      }
      const PairGroup g1 = decode_pair(b0.q[2 * p + 1], b1.q[2 * p + 1]);
      const __m512i sc1 = _mm512_srai_epi32(join(_mm256_unpackhi_epi16(s0, s0), _mm256_unpackhi_epi16(s1, s1)), 16);
      for (int n = 0; n < N; ++n) {
        sum[n] = _mm512_add_epi32(sum[n], pair_group_dot<Products>(g1, x[n][j].qs + 32 * p + 16, sc1));
        sum[n] = _mm512_sub_epi32(sum[n], _mm512_madd_epi16(offset, bcast4(x[n][j].bsums + 2 * p)));
      }
    }
    for (const Q6_Kx8* blk : {&b0, &b1}) {
      const char* ahead = reinterpret_cast<const char*>(blk) + avx2::q6_k_x8::kPrefetchBytes;
      avx2::packed_gemm::prefetch_weights(a, ahead, sizeof(Q6_Kx8));
    }
    const __m512 d = row_scales(b0.d, b1.d);
    for (int n = 0; n < N; ++n)
      acc[n] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[n]), _mm512_mul_ps(d, _mm512_set1_ps(x[n][j].d)), acc[n]);
  }
  for (int n = 0; n < N; ++n) _mm512_storeu_ps(a.y + (b + n) * a.y_stride + r, acc[n]);
}

template <class Products>
struct Q4KPairKernel {
  template <int N>
  static void pair(const GemmArgs& a, int64_t r, int64_t b) { q4_k_pair_tile<Products, N>(a, r, b); }
};

template <class Products>
struct Q6KPairKernel {
  template <int N>
  static void pair(const GemmArgs& a, int64_t r, int64_t b) { q6_k_pair_tile<Products, N>(a, r, b); }
};

// The four packed GEMMs of a table: 16-row tiles with Products for batches of kMinBatch rows
// or more; smaller batches and a last single group through the AVX2 kernels. Q8_0Step: the
// Q8_0 step (signed weights need their own trick per products).
template <class Products, class Q8_0Step>
struct PackedGemms {
  static void q4_0(const GemmArgs& a, int64_t r0, int64_t r1) {
    if (a.nb < kMinBatch) return avx2::gemm_q4_0_x8(a, r0, r1);
    run<LegacyPairKernel<PairQ4_0<Products>>>(a, r0, r1, avx2::gemm_q4_0_x8);
  }
  static void q8_0(const GemmArgs& a, int64_t r0, int64_t r1) {
    if (a.nb < kMinBatch) return avx2::gemm_q8_0_x8(a, r0, r1);
    run<LegacyPairKernel<Q8_0Step>>(a, r0, r1, avx2::gemm_q8_0_x8);
  }
  static void q4_k(const GemmArgs& a, int64_t r0, int64_t r1) {
    if (a.nb < kMinBatch) return avx2::gemm_q4_k_x8(a, r0, r1);
    run<Q4KPairKernel<Products>>(a, r0, r1, avx2::gemm_q4_k_x8);
  }
  static void q6_k(const GemmArgs& a, int64_t r0, int64_t r1) {
    if (a.nb < kMinBatch) return avx2::gemm_q6_k_x8(a, r0, r1);
    run<Q6KPairKernel<Products>>(a, r0, r1, avx2::gemm_q6_k_x8);
  }
};

}  // namespace
}  // namespace minnow::kernels::avx512::pairs
