// AVX2 GEMM over packed Q4_K (kernels/packed_q4_k.h) against plain Q8_K activations.
//
// One 32-bit lane per weight row: 4 activation bytes are broadcast to all lanes and multiplied
// with 4 nibbles of each of the 8 rows (maddubs). The 8 products of one 32-element sub-block
// fit int16 (8 * 2 * 15 * 128 < 2^15), so they are added as int16 and then scaled by the rows'
// sub-block scales with one madd against a vector holding each row's scale in both halves of
// its lane. The mins meet Q8_K's per-16 sums the same way, once per sub-block, in int32. The
// super-block's two int32 sums are then scaled by the 8 rows' d and dmin at once.
#include "kernels/layout.h"
#include "kernels/packed_q4_k.h"
#include "kernels/x86/avx2_packed.h"
#include "kernels/x86/avx2_q4_k_x8.h"

namespace minnow::kernels::avx2 {
namespace {

using packed::kQ4Chunks;
using packed::kQ4Subs;
using packed::Q4_Kx8;
using packed_gemm::bcast4;
using packed_gemm::load32;
using q4_k_x8::decode_mins;
using q4_k_x8::decode_scales;
using q4_k_x8::Doubled;
using q4_k_x8::kPrefetchBytes;
using q4_k_x8::min_dot;
using q4_k_x8::MinPairs;
using Q8_K = layout::Q8_K;

// Per row lane, sub-block pair p's share of min_dot: mins of sub-blocks 2p and 2p + 1 against
// their activation sums. Rows 0-3 keep pair p in run p, rows 4-7 in run p ^ 2 (see
// packed::q4_k_x8_min_index); the pair's two sums are the p-th 32-bit element of the sums
// (low half for p < 2, high half after).
// sums: the bsums added in pairs (_mm256_hadd_epi16 of them with themselves), once per block.
inline __m256i pair_min_dot(const MinPairs& m, __m256i sums, int p) {
  const __m256i pair_sums = _mm256_permutevar8x32_epi32(sums, _mm256_set1_epi32(p < 2 ? p : p + 2));
  return _mm256_madd_epi16(_mm256_blend_epi32(m.pair[p], m.pair[p ^ 2], 0xF0), pair_sums);
}

// llama.cpp's repacked Q4_K GEMM (tiles of 4 batch rows) scales and adds each pair of
// sub-blocks, values and mins in separate sums. The mins need no weight nibbles, so they go in
// a pass of their own after the values: one more accumulator per row in the main loop spilled
// registers.
template <int N>
void pair_mins(const Q4_Kx8* w, const Q8_K* const* x, int64_t blocks, __m256* acc_min) {
  for (int64_t j = 0; j < blocks; ++j) {
    const MinPairs mins = decode_mins(w[j].mins);
    const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w[j].dmin)));
    for (int n = 0; n < N; ++n) {
      const __m256 scale = _mm256_mul_ps(dmin, _mm256_broadcast_ss(&x[n][j].d));
      const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[n][j].bsums));
      const __m256i sums = _mm256_hadd_epi16(b, b);
      for (int p = 0; p < kQ4Subs / 2; ++p)
        acc_min[n] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(pair_min_dot(mins, sums, p)), scale, acc_min[n]);
    }
  }
}

// One group of 8 rows against N activation rows, over all super-blocks.
// Rows of a partial tile (N < 4: decode, the last rows of a batch) take the float steps of
// llama.cpp's repacked Q4_K GEMV (values and mins in separate sums, one step per super-block)
// and match it to the bit. kPairSteps: full tiles take those of its GEMM (see pair_mins), as
// the llama.cpp-rounding table wants; otherwise they keep one sum per row and super-block,
// and prefill rows differ from llama.cpp's in the last bits.
template <int N, bool kPairSteps>
struct Tile {
  static void run(const GemmArgs& a, int64_t r, int64_t b) {
    const auto* w = reinterpret_cast<const Q4_Kx8*>(a.w + size_t(r) * a.w_row_bytes);
    const Q8_K* x[N];
    for (int n = 0; n < N; ++n) x[n] = reinterpret_cast<const Q8_K*>(a.x + size_t(b + n) * a.x_row_bytes);
    constexpr bool kSeparateMins = N < 4;
    __m256 acc[N], acc_min[N];
    for (int n = 0; n < N; ++n) acc[n] = acc_min[n] = _mm256_setzero_ps();
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    const int64_t blocks = a.k / layout::kQKK;
    for (int64_t j = 0; j < blocks; ++j) {
      const Q4_Kx8& blk = w[j];
      const char* ahead = reinterpret_cast<const char*>(&blk) + kPrefetchBytes;
      Doubled scales;
      decode_scales(blk.scales, scales);
      const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.d)));
      alignas(32) float pair_scale[kPairSteps ? N : 1][8];
      if constexpr (kPairSteps)
        for (int n = 0; n < N; ++n) _mm256_store_ps(pair_scale[n], _mm256_mul_ps(d, _mm256_broadcast_ss(&x[n][j].d)));
      __m256i sum[N];
      for (int n = 0; n < N; ++n) sum[n] = _mm256_setzero_si256();
#pragma GCC unroll 8
      for (int s = 0; s < kQ4Subs; ++s) {
        packed_gemm::prefetch_weights_part(a, ahead, sizeof(Q4_Kx8), s, kQ4Subs);
        __m256i p[N];
        for (int n = 0; n < N; ++n) p[n] = _mm256_setzero_si256();
        for (int c = 0; c < kQ4Chunks; ++c) {
          const __m256i q = load32(blk.q[s][c]);
          const __m256i lo = _mm256_and_si256(q, low4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
          // Saturating adds, which never saturate here (see the top), so that the compiler
          // cannot regroup the sums into a tree of products that spills registers.
          for (int n = 0; n < N; ++n) {
            const int8_t* xs = x[n][j].qs + 32 * s + 4 * c;
            p[n] = _mm256_adds_epi16(p[n], _mm256_maddubs_epi16(lo, bcast4(xs)));
            p[n] = _mm256_adds_epi16(p[n], _mm256_maddubs_epi16(hi, bcast4(xs + 16)));
          }
        }
        const __m256i scale = scales.operand(s);
        for (int n = 0; n < N; ++n) {
          sum[n] = _mm256_add_epi32(sum[n], _mm256_madd_epi16(p[n], scale));
          keep_sum_order(sum[n]);
        }
        if constexpr (kPairSteps) {
          if (s % 2 == 1) {
            for (int n = 0; n < N; ++n) {
              acc[n] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[n]), _mm256_load_ps(pair_scale[n]), acc[n]);
              sum[n] = _mm256_setzero_si256();
            }
          }
        }
      }
      if constexpr (!kPairSteps) {
        const MinPairs mins = decode_mins(blk.mins);
        const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.dmin)));
        for (int n = 0; n < N; ++n) {
          const __m256i msum = min_dot(mins, x[n][j].bsums);
          const __m256 xd = _mm256_broadcast_ss(&x[n][j].d);
          acc[n] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[n]), _mm256_mul_ps(d, xd), acc[n]);
          if constexpr (kSeparateMins)
            acc_min[n] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_mul_ps(dmin, xd), acc_min[n]);
          else
            acc[n] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_mul_ps(dmin, xd), acc[n]);
        }
      }
    }
    if constexpr (kPairSteps) pair_mins<N>(w, x, blocks, acc_min);
    for (int n = 0; n < N; ++n) _mm256_storeu_ps(a.y + (b + n) * a.y_stride + r, _mm256_sub_ps(acc[n], acc_min[n]));
  }
};

// Full tiles: one sum per super-block (fast), or llama.cpp's GEMM steps.
template <bool kLlamaGemm>
struct Q4KKernel {
  template <int N>
  static void tile(const GemmArgs& a, int64_t r, int64_t b) { Tile<N, kLlamaGemm && N == 4>::run(a, r, b); }
};

}  // namespace

void gemm_q4_k_x8(const GemmArgs& a, int64_t r0, int64_t r1) { packed_gemm::run<Q4KKernel<false>>(a, r0, r1); }
void gemm_q4_k_x8_llama(const GemmArgs& a, int64_t r0, int64_t r1) { packed_gemm::run<Q4KKernel<true>>(a, r0, r1); }

}  // namespace minnow::kernels::avx2
