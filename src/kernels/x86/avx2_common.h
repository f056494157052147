#pragma once
// Shared pieces of the AVX2 kernels. Include only from files compiled with -mavx2 -mfma -mf16c.
//
// A GEMM is a grid of tiles: R weight rows x N activation rows, one __m256 accumulator per
// pair, so a weight block is decoded once per tile and used N times (prefill), and for decode
// (nb = 1) R rows run as independent FMA chains. A policy P describes one weight type:
//   kStep            elements consumed per step
//   W load_w(row, s) the decoded weight step s of a row
//   X load_x(row, s) the activation step s of a row
//   madd(acc, extra, W, X)  accumulate one step into acc (vector) and extra (scalar)
//   tail(w, x, from, k)     scalar sum over elements [from, k) left over after whole steps
// Everything here is inline or internal and only ever compiled with the AVX2 flags; no std::
// algorithm templates are used, as their out-of-line copies would be shared with plain files.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/kernels.h"
#include "kernels/x86/avx2.h"

namespace minnow::kernels::avx2 {
// Internal linkage: files built with wider ISA flags (the AVX-512 VNNI kernels) include these
// too, and one shared out-of-line copy built with those flags must never serve an AVX2-only CPU.
namespace {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline int hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

inline float half_to_float(uint16_t h) { return _cvtsh_ss(h); }

// An empty asm that needs v in a register here. gcc otherwise regroups a chain of integer
// vector adds in an unrolled tile into a tree of partial sums, which spills to the stack once
// several activation rows are in flight.
inline void keep_sum_order(__m256i& v) { asm("" : "+x"(v)); }

// Sums of adjacent products of 32 signed weights and 32 signed activations, as 8 int32.
inline __m256i dot_i8(__m256i w, __m256i x) {
  const __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
  return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}

// The same for unsigned weights (0..255 with |w*x| pair sums below 2^15).
inline __m256i dot_u8(__m256i w, __m256i x) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(w, x), _mm256_set1_epi16(1));
}

// 32 bytes, byte i = 0xFF where bit i of `bits` is set, else 0.
inline __m256i bits_to_bytes(uint32_t bits) {
  const __m256i spread = _mm256_shuffle_epi8(
      _mm256_set1_epi32(int(bits)),
      _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303));
  const __m256i bit = _mm256_set1_epi64x(int64_t(0x8040201008040201));
  return _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
}

// 16 bytes of packed nibbles -> 32 bytes: low nibbles first, then high nibbles.
inline __m256i nibbles_to_bytes(const uint8_t* p) {
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m256i both = _mm256_set_m128i(_mm_srli_epi16(b, 4), b);
  return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

template <class P, int R, int N>
inline void tile(const GemmArgs& a, int64_t r, int64_t b) {
  const uint8_t* w[R];
  const uint8_t* x[N];
  for (int i = 0; i < R; ++i) w[i] = a.w + size_t(r + i) * a.w_row_bytes;
  for (int j = 0; j < N; ++j) x[j] = a.x + size_t(b + j) * a.x_row_bytes;
  __m256 acc[R][N];
  float extra[R][N];
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < N; ++j) {
      acc[i][j] = _mm256_setzero_ps();
      extra[i][j] = 0.0f;
    }
  const int64_t steps = a.k / P::kStep;
  for (int64_t s = 0; s < steps; ++s) {
    typename P::W wv[R];
    for (int i = 0; i < R; ++i) wv[i] = P::load_w(w[i], s);
    for (int j = 0; j < N; ++j) {
      const typename P::X xv = P::load_x(x[j], s);
      for (int i = 0; i < R; ++i) P::madd(acc[i][j], extra[i][j], wv[i], xv);
    }
  }
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < N; ++j)
      a.y[(b + j) * a.y_stride + r + i] =
          hsum(acc[i][j]) + extra[i][j] + P::tail(w[i], x[j], steps * P::kStep, a.k);
}

// tile<P, R, n> for 1 <= n <= kMaxN (larger n: kMaxN).
template <class P, int R, int kMaxN = 4, int N = 1>
inline void tile_n(const GemmArgs& a, int64_t r, int64_t b, int64_t n) {
  if constexpr (N < kMaxN) {
    if (n == N) return tile<P, R, N>(a, r, b);
    tile_n<P, R, kMaxN, N + 1>(a, r, b, n);
  } else {
    tile<P, R, N>(a, r, b);
  }
}

// Activation rows per pass over a row tile: as many as fit a quarter of L2, so a tile's
// weights stay in L1 while the activations come from L2.
inline int64_t act_chunk(size_t x_row_bytes) {
  const int64_t fit = int64_t((256u << 10) / (x_row_bytes + 1)) / 4 * 4;
  return fit < 4 ? 4 : fit > 64 ? 64 : fit;
}

// Decode reads each weight row once, a few rows at a time: short interleaved streams that the
// hardware prefetcher barely ramps up on. Asking for the next tile's bytes while this one is
// computed keeps the memory system busy (the arithmetic is unchanged).
inline void prefetch_rows(const GemmArgs& a, int64_t r, int64_t n_rows) {
  const char* p = reinterpret_cast<const char*>(a.w + size_t(r) * a.w_row_bytes);
  const size_t bytes = size_t(n_rows) * a.w_row_bytes;
  for (size_t off = 0; off < bytes; off += 64) _mm_prefetch(p + off, _MM_HINT_T0);
}

template <class P>
void gemm(const GemmArgs& a, int64_t r0, int64_t r1) {
  if (a.nb == 1) {
    constexpr int kDecodeRows = P::kDecodeRows;
    int64_t r = r0;
    for (; r + kDecodeRows <= r1; r += kDecodeRows) {
      if (r + 3 * kDecodeRows <= r1) prefetch_rows(a, r + 2 * kDecodeRows, kDecodeRows);
      tile<P, kDecodeRows, 1>(a, r, 0);
    }
    for (; r < r1; ++r) tile<P, 1, 1>(a, r, 0);
    return;
  }
  const int64_t chunk = act_chunk(a.x_row_bytes);
  for (int64_t b0 = 0; b0 < a.nb; b0 += chunk) {
    const int64_t b1 = b0 + chunk < a.nb ? b0 + chunk : a.nb;
    int64_t r = r0;
    for (; r + P::kPrefillRows <= r1; r += P::kPrefillRows)
      for (int64_t b = b0; b < b1; b += 4) tile_n<P, P::kPrefillRows>(a, r, b, (b1 - b < 4 ? b1 - b : 4));
    for (; r < r1; ++r)
      for (int64_t b = b0; b < b1; b += 4) tile_n<P, 1>(a, r, b, (b1 - b < 4 ? b1 - b : 4));
  }
}

}  // namespace
}  // namespace minnow::kernels::avx2
