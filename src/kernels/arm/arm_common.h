#pragma once
// Shared pieces of the aarch64 kernels, included by neon.cpp, dotprod.cpp and i8mm.cpp, each
// built with its own -march. Everything here is in an anonymous namespace: every file gets its
// own copy compiled with its own flags, so the linker can never hand a plain-NEON caller a copy
// that uses sdot/smmla. No std:: algorithm templates either (their shared out-of-line copies
// could come from any of the files).
//
// Each file defines an `Isa` policy before including the kernel headers:
//   kSdot                       true where sdot exists (the packed layouts' GEMMs need it)
//   kMmla                       true where smmla (i8mm) tiles are used for nb >= 2
//   dot16(acc, w, x)            acc (int32x4) += partial sums of 16 int8 products
//   mmla(acc, w, x)             (i8mm only) 2x2 int32 += w(2x8) * x(2x8)^T
//
// Two register layouts are used. "Dot" tiles (NEON, dotprod, and i8mm at nb = 1) keep one
// float32x4 accumulator per activation row whose 4 lanes are 4 weight rows: the 4 rows'
// partial int32x4 sums are folded by two pairwise adds, so block scales are applied once per
// 4 rows and the results store as one vector. "Mmla" tiles keep one accumulator per 2x2
// (weight row pair x activation row pair), the layout smmla produces.
#include <arm_neon.h>

#include <cstdint>
#include <cstring>

#include "kernels/kernels.h"
#include "kernels/layout.h"

namespace minnow::kernels::arm {
namespace {

namespace L = layout;

inline float half_to_float(uint16_t h) {
  __fp16 v;
  std::memcpy(&v, &h, sizeof(v));
  return float(v);
}

inline uint16_t float_to_half(float f) {
  const __fp16 v = f;  // fcvt: round to nearest even, like f32_to_fp16
  uint16_t h;
  std::memcpy(&h, &v, sizeof(h));
  return h;
}

// 4 half-precision values -> float32x4.
inline float32x4_t halves4(const uint16_t h[4]) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(h))); }

// [sum(a), sum(b), sum(c), sum(d)].
inline int32x4_t reduce4(int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d) {
  return vpaddq_s32(vpaddq_s32(a, b), vpaddq_s32(c, d));
}

template <int R>
inline int32x4_t reduce_rows(const int32x4_t (&part)[R]) {
  const int32x4_t z = vdupq_n_s32(0);
  return reduce4(part[0], R > 1 ? part[1] : z, R > 2 ? part[2] : z, R > 3 ? part[3] : z);
}

// 8 int8 lanes of two rows side by side, as smmla reads them: [a.lo, b.lo] and [a.hi, b.hi].
inline int8x16_t zip_lo(int8x16_t a, int8x16_t b) {
  return vreinterpretq_s8_s64(vzip1q_s64(vreinterpretq_s64_s8(a), vreinterpretq_s64_s8(b)));
}
inline int8x16_t zip_hi(int8x16_t a, int8x16_t b) {
  return vreinterpretq_s8_s64(vzip2q_s64(vreinterpretq_s64_s8(a), vreinterpretq_s64_s8(b)));
}

// The 32 values of a chunk from two rows, interleaved 8 by 8 for smmla: z[c] holds elements
// 8c..8c+7 of row a then of row b.
inline void interleave32(const int8x16_t a[2], const int8x16_t b[2], int8x16_t z[4]) {
  z[0] = zip_lo(a[0], b[0]);
  z[1] = zip_hi(a[0], b[0]);
  z[2] = zip_lo(a[1], b[1]);
  z[3] = zip_hi(a[1], b[1]);
}

// Stores lanes [0, n) of v to y[0], y[step], ...
inline void store_lanes(float32x4_t v, float* y, int64_t step, int n) {
  float t[4];
  vst1q_f32(t, v);
  for (int i = 0; i < n; ++i) y[i * step] = t[i];
}

// Stores a 2x2 mmla result [r0b0, r0b1, r1b0, r1b1] for the valid rows/activations.
inline void store_2x2(float32x4_t v, const GemmArgs& a, int64_t r, int nr, int64_t b, int nbv) {
  float t[4];
  vst1q_f32(t, v);
  for (int i = 0; i < nr && i < 2; ++i)
    for (int j = 0; j < nbv && j < 2; ++j) a.y[(b + j) * a.y_stride + r + i] = t[2 * i + j];
}

inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// Activation rows per pass over the weights: as many as fit about 256 KiB (a Cortex-X4/X925
// core has 1-2 MiB of private L2), so a row tile's weights stay in L1 while activations
// stream from L2.
inline int64_t act_chunk(size_t x_row_bytes) {
  const int64_t fit = int64_t((256u << 10) / (x_row_bytes + 1)) / 4 * 4;
  return fit < 4 ? 4 : fit > 64 ? 64 : fit;
}

// Runs Tile::dot<R, N>(a, r, b) over rows [r0, r1) x activations [0, nb): 4x4 tiles, with the
// leftovers as narrower tiles (or Tile::mmla for nb >= 2 where both Isa and Tile have it).
template <class Tile, int R>
inline void dot_tile_n(const GemmArgs& a, int64_t r, int64_t b, int64_t n) {
  switch (n) {
    case 1: Tile::template dot<R, 1>(a, r, b); break;
    case 2: Tile::template dot<R, 2>(a, r, b); break;
    case 3: Tile::template dot<R, 3>(a, r, b); break;
    default: Tile::template dot<R, 4>(a, r, b); break;
  }
}

template <class Tile>
inline void dot_tile_rn(const GemmArgs& a, int64_t r, int64_t nr, int64_t b, int64_t n) {
  switch (nr) {
    case 1: dot_tile_n<Tile, 1>(a, r, b, n); break;
    case 2: dot_tile_n<Tile, 2>(a, r, b, n); break;
    case 3: dot_tile_n<Tile, 3>(a, r, b, n); break;
    default: dot_tile_n<Tile, 4>(a, r, b, n); break;
  }
}

// Tile::mmla<RP, NP>(a, r, nr, b, nbv): RP row pairs x NP activation pairs, nr/nbv valid.
template <class Tile>
inline void mmla_tile_rn(const GemmArgs& a, int64_t r, int64_t nr, int64_t b, int64_t n) {
  if (nr > 2) {
    if (n > 2) Tile::template mmla<2, 2>(a, r, int(nr), b, int(n));
    else Tile::template mmla<2, 1>(a, r, int(nr), b, int(n));
  } else {
    if (n > 2) Tile::template mmla<1, 2>(a, r, int(nr), b, int(n));
    else Tile::template mmla<1, 1>(a, r, int(nr), b, int(n));
  }
}

template <class Isa, class Tile>
void gemm(const GemmArgs& a, int64_t r0, int64_t r1) {
  const int64_t chunk = a.nb == 1 ? 1 : act_chunk(a.x_row_bytes);
  for (int64_t b0 = 0; b0 < a.nb; b0 += chunk) {
    const int64_t b1 = min64(b0 + chunk, a.nb);
    for (int64_t r = r0; r < r1; r += 4) {
      const int64_t nr = min64(4, r1 - r);
      for (int64_t b = b0; b < b1; b += 4) {
        if constexpr (Isa::kMmla && Tile::kMmla) {
          if (a.nb >= 2) {
            mmla_tile_rn<Tile>(a, r, nr, b, min64(4, b1 - b));
            continue;
          }
        }
        dot_tile_rn<Tile>(a, r, nr, b, min64(4, b1 - b));
      }
    }
  }
}

// Row pointers of a tile; entries past the valid count repeat the last valid row (readable
// memory; their results are never stored).
template <int M>
inline void row_pointers(const uint8_t* base, size_t row_bytes, int64_t first, int valid, const uint8_t* (&out)[M]) {
  for (int i = 0; i < M; ++i) out[i] = base + size_t(first + (i < valid ? i : valid - 1)) * row_bytes;
}

template <class Block>
inline const Block& block_at(const uint8_t* row, int64_t s) {
  return reinterpret_cast<const Block*>(row)[s];
}

}  // namespace
}  // namespace minnow::kernels::arm
