// AVX-512 VNNI GEMMs over the packed layouts: the 16-row tiles of avx512_packed.h and
// avx512_packed_k.h with products by vpdpbusd, for batches of 5 activation rows or more;
// smaller batches go to 8-row tiles, VNNI's own for Q4_0, Q8_0 and Q4_K decode, else AVX2's.
#include "kernels/x86/avx512.h"
#include "kernels/x86/avx512_packed.h"
#include "kernels/x86/avx512_packed_k.h"

namespace minnow::kernels::vnni {
namespace {

using packed::Q8S;
namespace pairs = avx512::pairs;

struct VnniProducts {
  static __m512i add(__m512i acc, __m512i u, __m512i s) { return _mm512_dpbusd_epi32(acc, u, s); }
};

// Q8_0: vpdpbusd wants one unsigned operand, so the weights are offset to w + 128 (a flip of
// the top bit) and 128 * sum(x) comes off per block.
struct PairQ8_0 {
  using Block = packed::Q8_0x8;
  static constexpr int kSteps = 8;  // step m: elements 4m..4m+3
  template <int N>
  static void step(const Block& b0, const Block& b1, int m, const Q8S* const* x, int64_t j, __m512i* sums) {
    const __m512i u = _mm512_xor_si512(pairs::load_pair(b0.qs + 32 * m, b1.qs + 32 * m), _mm512_set1_epi8(int8_t(0x80)));
    for (int n = 0; n < N; ++n) sums[n] = _mm512_dpbusd_epi32(sums[n], u, pairs::bcast4(x[n][j].qs + 4 * m));
  }
  static __m512i finish(__m512i s, const Q8S& xa) { return _mm512_sub_epi32(s, _mm512_set1_epi32(128 * packed::q8s_sum(xa))); }
};

using Gemms = pairs::PackedGemms<VnniProducts, PairQ8_0>;

// Batches below pairs::kMinBatch (decode): the AVX2 8-row legacy tiles
// (avx2::packed_gemm::group_tile) with 256-bit vpdpbusd, which adds its products into the
// int32 sums itself: per 32 weight bytes one vpdpbusd per activation row against AVX2's
// maddubs and add (Q4_0), or sign, abs, maddubs, madd and add (Q8_0). The integer sums are
// the AVX2 tiles' exactly and the float steps the same, so the same bits. Each row's sums run
// in four chains (a block's 8 vpdpbusd of one row are then 2 latencies deep; two chains
// measured the same, within noise); every step feeds all four, in the same order (a chain
// chosen by the step's index left the sums in memory: gcc scalarises before it unrolls).
template <class P, int N>
void small_batch_tile(const GemmArgs& a, int64_t r, int64_t b) {
  using Block = typename P::Block;
  const auto* w = reinterpret_cast<const Block*>(a.w + size_t(r) * a.w_row_bytes);
  const Q8S* x[N];
  for (int n = 0; n < N; ++n) x[n] = reinterpret_cast<const Q8S*>(a.x + size_t(b + n) * a.x_row_bytes);
  __m256 acc[N];
  for (int n = 0; n < N; ++n) acc[n] = _mm256_setzero_ps();
  for (int64_t j = 0; j < a.k / layout::kQK; ++j) {
    const char* ahead = reinterpret_cast<const char*>(&w[j + avx2::packed_gemm::kPrefetchBlocks<Block>]);
    avx2::packed_gemm::prefetch_weights(a, ahead, sizeof(Block));
    __m256i s0[N], s1[N], s2[N], s3[N];
    for (int n = 0; n < N; ++n) s0[n] = s1[n] = s2[n] = s3[n] = _mm256_setzero_si256();
    P::template step<N>(w[j], 0, x, j, s0, s1, s2, s3);
    P::template step<N>(w[j], 1, x, j, s0, s1, s2, s3);
    const __m256 dw = avx2::packed_gemm::row_scales(w[j].d);
    for (int n = 0; n < N; ++n) {
      const __m256 d = _mm256_mul_ps(dw, _mm256_broadcast_ss(&x[n][j].d));
      const __m256i sum = _mm256_add_epi32(_mm256_add_epi32(s0[n], s1[n]), _mm256_add_epi32(s2[n], s3[n]));
      acc[n] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(P::finish(sum, x[n][j])), d, acc[n]);
    }
  }
  for (int n = 0; n < N; ++n) _mm256_storeu_ps(a.y + (b + n) * a.y_stride + r, acc[n]);
}

template <class P>
struct SmallBatchKernel {
  template <int N>
  static void tile(const GemmArgs& a, int64_t r, int64_t b) { small_batch_tile<P, N>(a, r, b); }
};

// Q4_0 (see PairQ4_0): half h of a block is the 32-byte lanes 2h and 2h+1, lane l holding
// elements 4l..4l+3 (low nibbles) and 16+4l.. (high nibbles).
struct SmallQ4_0 {
  using Block = packed::Q4_0x8;
  template <int N>
  static void step(const Block& blk, int h, const Q8S* const* x, int64_t j, __m256i* s0, __m256i* s1, __m256i* s2,
                   __m256i* s3) {
    using avx2::packed_gemm::bcast4;
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    const __m256i v0 = avx2::packed_gemm::load32(blk.qs + 64 * h), v1 = avx2::packed_gemm::load32(blk.qs + 64 * h + 32);
    const __m256i lo0 = _mm256_and_si256(v0, low4), hi0 = _mm256_and_si256(_mm256_srli_epi16(v0, 4), low4);
    const __m256i lo1 = _mm256_and_si256(v1, low4), hi1 = _mm256_and_si256(_mm256_srli_epi16(v1, 4), low4);
    for (int n = 0; n < N; ++n) {
      const int8_t* q = x[n][j].qs + 8 * h;
      s0[n] = _mm256_dpbusd_epi32(s0[n], lo0, bcast4(q));
      s1[n] = _mm256_dpbusd_epi32(s1[n], hi0, bcast4(q + 16));
      s2[n] = _mm256_dpbusd_epi32(s2[n], lo1, bcast4(q + 4));
      s3[n] = _mm256_dpbusd_epi32(s3[n], hi1, bcast4(q + 20));
    }
  }
  static __m256i finish(__m256i s, const Q8S& xa) { return _mm256_add_epi32(s, _mm256_set1_epi32(packed::q8s_offset(xa))); }
};

// Q8_0 (see PairQ8_0): half h of a block is the 32-byte lanes 4h..4h+3, lane l holding
// elements 4l..4l+3.
struct SmallQ8_0 {
  using Block = packed::Q8_0x8;
  template <int N>
  static void step(const Block& blk, int h, const Q8S* const* x, int64_t j, __m256i* s0, __m256i* s1, __m256i* s2,
                   __m256i* s3) {
    using avx2::packed_gemm::bcast4;
    using avx2::packed_gemm::load32;
    const __m256i flip = _mm256_set1_epi8(int8_t(0x80));
    const int8_t* qs = blk.qs + 128 * h;
    const __m256i u0 = _mm256_xor_si256(load32(qs), flip), u1 = _mm256_xor_si256(load32(qs + 32), flip);
    const __m256i u2 = _mm256_xor_si256(load32(qs + 64), flip), u3 = _mm256_xor_si256(load32(qs + 96), flip);
    for (int n = 0; n < N; ++n) {
      const int8_t* q = x[n][j].qs + 16 * h;
      s0[n] = _mm256_dpbusd_epi32(s0[n], u0, bcast4(q));
      s1[n] = _mm256_dpbusd_epi32(s1[n], u1, bcast4(q + 4));
      s2[n] = _mm256_dpbusd_epi32(s2[n], u2, bcast4(q + 8));
      s3[n] = _mm256_dpbusd_epi32(s3[n], u3, bcast4(q + 12));
    }
  }
  static __m256i finish(__m256i s, const Q8S& xa) { return _mm256_sub_epi32(s, _mm256_set1_epi32(128 * packed::q8s_sum(xa))); }
};

// One group of 8 Q4_K rows against one activation row (decode) with 256-bit vpdpbusd: the
// integer sums and float steps of the AVX2 one-row tile (avx2_packed_q4_k.cpp), so the same
// bits, in fewer instructions. Unlike the 16-row tiles this reads weights faster than AVX2 when
// memory-bound: qwen2-1.5b Q4_K_M decode, 1 thread, Zen 4, three alternating pairs of
// `minnow bench -p 16 -n 128 -r 2`: 22.9 / 22.5 / 22.1 tok/s against 20.3 / 20.8 / 20.5.
void q4_k_decode_tile(const GemmArgs& a, int64_t r, int64_t b) {
  using avx2::packed_gemm::bcast4;
  using avx2::packed_gemm::load32;
  using avx2::q4_k_x8::Doubled;
  const auto* w = reinterpret_cast<const packed::Q4_Kx8*>(a.w + size_t(r) * a.w_row_bytes);
  const auto* x = reinterpret_cast<const layout::Q8_K*>(a.x + size_t(b) * a.x_row_bytes);
  __m256 acc = _mm256_setzero_ps(), acc_min = _mm256_setzero_ps();
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  for (int64_t j = 0; j < a.k / layout::kQKK; ++j) {
    const packed::Q4_Kx8& blk = w[j];
    const char* ahead = reinterpret_cast<const char*>(&blk) + avx2::q4_k_x8::kPrefetchBytes;
    avx2::packed_gemm::prefetch_weights(a, ahead, sizeof(blk));
    Doubled scales;
    avx2::q4_k_x8::decode_scales(blk.scales, scales);
    const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.d)));
    __m256i sum = _mm256_setzero_si256();
    for (int s = 0; s < packed::kQ4Subs; ++s) {
      __m256i plo = _mm256_setzero_si256(), phi = _mm256_setzero_si256();
      for (int c = 0; c < packed::kQ4Chunks; ++c) {
        const __m256i q = load32(blk.q[s][c]);
        const int8_t* xs = x[j].qs + 32 * s + 4 * c;
        plo = _mm256_dpbusd_epi32(plo, _mm256_and_si256(q, low4), bcast4(xs));
        phi = _mm256_dpbusd_epi32(phi, _mm256_and_si256(_mm256_srli_epi16(q, 4), low4), bcast4(xs + 16));
      }
      sum = _mm256_add_epi32(sum, _mm256_mullo_epi32(_mm256_add_epi32(plo, phi), _mm256_srli_epi32(scales.operand(s), 16)));
    }
    const avx2::q4_k_x8::MinPairs mins = avx2::q4_k_x8::decode_mins(blk.mins);
    const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.dmin)));
    const __m256i msum = avx2::q4_k_x8::min_dot(mins, x[j].bsums);
    const __m256 xd = _mm256_broadcast_ss(&x[j].d);
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_mul_ps(d, xd), acc);
    acc_min = _mm256_fmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_mul_ps(dmin, xd), acc_min);
  }
  _mm256_storeu_ps(a.y + b * a.y_stride + r, _mm256_sub_ps(acc, acc_min));
}

}  // namespace

void gemm_q4_0_x8(const GemmArgs& a, int64_t r0, int64_t r1) {
  if (a.nb < pairs::kMinBatch) return avx2::packed_gemm::run<SmallBatchKernel<SmallQ4_0>>(a, r0, r1);
  Gemms::q4_0(a, r0, r1);
}
void gemm_q8_0_x8(const GemmArgs& a, int64_t r0, int64_t r1) {
  if (a.nb < pairs::kMinBatch) return avx2::packed_gemm::run<SmallBatchKernel<SmallQ8_0>>(a, r0, r1);
  Gemms::q8_0(a, r0, r1);
}
void gemm_q4_k_x8(const GemmArgs& a, int64_t r0, int64_t r1) {
  if (a.nb == 1) {
    for (int64_t r = r0; r < r1; r += packed::kRows) q4_k_decode_tile(a, r, 0);
    return;
  }
  Gemms::q4_k(a, r0, r1);
}
void gemm_q6_k_x8(const GemmArgs& a, int64_t r0, int64_t r1) { Gemms::q6_k(a, r0, r1); }

}  // namespace minnow::kernels::vnni
