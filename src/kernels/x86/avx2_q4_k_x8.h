#pragma once
// The x86 GEMM tile over packed Q4_K (kernels/packed_q4_k.h), its int8 products left to a policy
// (AVX2 or VNNI), and the decoding of the packed scales and mins. Include
// only from files built with at least the AVX2 flags; internal linkage, as in avx2_common.h.
#include "kernels/layout.h"
#include "kernels/packed_q4_k.h"
#include "kernels/x86/avx2_packed.h"

namespace minnow::kernels::avx2::q4_k_x8 {
namespace {

using packed::kQ4Chunks;
using packed::kQ4Subs;
using packed::kRows;
using packed::Q4_Kx8;
using Q8_K = layout::Q8_K;

// The 64 six-bit values of a SixBit64, each row's value doubled into a byte pair, as 8 runs
// of 16 bytes (one per sub-block) ready to widen into madd operands. The unpacks interleave
// sub-blocks, so run `slot(s)` holds sub-block s.
struct Doubled {
  alignas(32) uint8_t run[kQ4Subs][2 * kRows];
  static constexpr int slot(int s) { return (s & 4) | ((s & 1) << 1) | ((s >> 1) & 1); }
  __m256i operand(int s) const {
    return _mm256_cvtepu8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(run[slot(s)])));
  }
};

// The 64 values of a SixBit64 as bytes: v[0..31] in the first vector, v[32..63] in the second.
struct SixBitBytes {
  __m256i first, second;
};

inline SixBitBytes six_bit_bytes(const packed::SixBit64& in) {
  const __m256i a = packed_gemm::load32(in.b);
  const __m256i first = _mm256_and_si256(a, _mm256_set1_epi8(0x3F));
  const __m256i nibbles = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in.b + 32)));
  const __m256i low4 = _mm256_and_si256(_mm256_srlv_epi32(nibbles, _mm256_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4)),
                                        _mm256_set1_epi8(0x0F));
  // Masked after the 16-bit shift, so bits carried in from the neighbouring byte are dropped.
  const __m256i top2 = _mm256_and_si256(_mm256_srli_epi16(a, 2), _mm256_set1_epi8(0x30));
  return {first, _mm256_or_si256(low4, top2)};
}

inline void decode_scales(const packed::SixBit64& in, Doubled& out) {
  const auto [first, second] = six_bit_bytes(in);
  auto* run = reinterpret_cast<__m256i*>(out.run);
  _mm256_store_si256(run + 0, _mm256_unpacklo_epi8(first, first));
  _mm256_store_si256(run + 1, _mm256_unpackhi_epi8(first, first));
  _mm256_store_si256(run + 2, _mm256_unpacklo_epi8(second, second));
  _mm256_store_si256(run + 3, _mm256_unpackhi_epi8(second, second));
}

// The mins as madd operands: lane r of pair[v] holds row r's mins of two sub-blocks as int16,
// in the order packed::q4_k_x8_min_index sets, so that they meet the activations' 32-element
// sums as laid out by min_dot.
struct MinPairs {
  __m256i pair[4];
};

inline MinPairs decode_mins(const packed::SixBit64& in) {
  const auto [first, second] = six_bit_bytes(in);
  const auto low = [](__m256i v) { return _mm256_cvtepu8_epi16(_mm256_castsi256_si128(v)); };
  const auto high = [](__m256i v) { return _mm256_cvtepu8_epi16(_mm256_extracti128_si256(v, 1)); };
  return {{low(first), high(first), low(second), high(second)}};
}

// Per row lane: sum over sub-blocks s of min[s] * (sum of the activations of sub-block s).
// The sub-block sums B0..B3 land in the low 128 bits, B4..B7 in the high; with the halves
// swapped and each pair broadcast within its half, pair[v] meets in both halves the sums of
// its rows' sub-blocks.
inline __m256i min_dot(const MinPairs& m, const int16_t* bsums) {
  const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bsums));
  const __m256i sums = _mm256_hadd_epi16(b, b);  // at most 32 * 128 in magnitude
  const __m256i swapped = _mm256_permute2x128_si256(sums, sums, 1);
  const __m256i s01 = _mm256_add_epi32(_mm256_madd_epi16(m.pair[0], _mm256_shuffle_epi32(sums, 0x00)),
                                       _mm256_madd_epi16(m.pair[1], _mm256_shuffle_epi32(sums, 0x55)));
  const __m256i s23 = _mm256_add_epi32(_mm256_madd_epi16(m.pair[2], _mm256_shuffle_epi32(swapped, 0x00)),
                                       _mm256_madd_epi16(m.pair[3], _mm256_shuffle_epi32(swapped, 0x55)));
  return _mm256_add_epi32(s01, s23);
}

// See avx2::packed_gemm::kPrefetchBlocks.
constexpr size_t kPrefetchBytes = packed_gemm::kPrefetchBlocks<Q4_Kx8> * sizeof(Q4_Kx8);

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
// Dot: how one activation row's products with a sub-block of the 8 rows are summed and scaled
// by the rows' sub-block scales (maddubs + int16 adds + madd, or VNNI), exactly in int32:
//   Dot::Partial, Dot::zero()     running products of a sub-block, and their start
//   Dot::add(p, lo, hi, xs)       p plus a chunk's products: low nibbles with xs[0..3], high
//                                 with xs[16..19]
//   Dot::scale_operand(doubled)   the scales' form for `scaled`, from Doubled::operand
//   Dot::scaled(p, operand)       per row lane, scale * (sum of the products in p), int32
template <class Dot, int N, bool kPairSteps>
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
      for (size_t off = 0; off < sizeof(Q4_Kx8); off += 64) _mm_prefetch(ahead + off, _MM_HINT_T0);
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
        typename Dot::Partial p[N];
        for (int n = 0; n < N; ++n) p[n] = Dot::zero();
        for (int c = 0; c < kQ4Chunks; ++c) {
          const __m256i q = packed_gemm::load32(blk.q[s][c]);
          const __m256i lo = _mm256_and_si256(q, low4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
          for (int n = 0; n < N; ++n) p[n] = Dot::add(p[n], lo, hi, x[n][j].qs + 32 * s + 4 * c);
        }
        const __m256i scale = Dot::scale_operand(scales.operand(s));
        for (int n = 0; n < N; ++n) {
          sum[n] = _mm256_add_epi32(sum[n], Dot::scaled(p[n], scale));
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

}  // namespace
}  // namespace minnow::kernels::avx2::q4_k_x8
