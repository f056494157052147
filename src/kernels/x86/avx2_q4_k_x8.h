#pragma once
// Decoding the packed Q4_K scales and mins (kernels/packed_q4_k.h) for the x86 GEMM tiles. Include
// only from files built with at least the AVX2 flags; internal linkage, as in avx2_common.h.
#include "kernels/layout.h"
#include "kernels/packed_q4_k.h"
#include "kernels/x86/avx2_packed.h"

namespace minnow::kernels::avx2::q4_k_x8 {
namespace {

using packed::kQ4Subs;
using packed::kRows;
using packed::Q4_Kx8;

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

}  // namespace
}  // namespace minnow::kernels::avx2::q4_k_x8
