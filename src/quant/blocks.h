#pragma once
// Block layouts of the quantized types, byte for byte as GGUF stores them (ggml's block_*).
// Half-precision fields are raw IEEE binary16 bits; convert with util/fp16.h.
#include <cstdint>

namespace minnow {

inline constexpr int kQK4_0 = 32;
inline constexpr int kQK4_1 = 32;
inline constexpr int kQK5_0 = 32;
inline constexpr int kQK5_1 = 32;
inline constexpr int kQK8_0 = 32;
inline constexpr int kQK8_1 = 32;
inline constexpr int kQK_K = 256;          // super-block size of the K-quants
inline constexpr int kKScaleSize = 12;     // packed 6-bit scales/mins of q4_K and q5_K

// x = d * (q - 8), q in 0..15; element j in low nibble of qs[j], element j+16 in the high one.
struct block_q4_0 {
  uint16_t d;
  uint8_t qs[kQK4_0 / 2];
};
static_assert(sizeof(block_q4_0) == 18);

// x = d * q + m, q in 0..15.
struct block_q4_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qs[kQK4_1 / 2];
};
static_assert(sizeof(block_q4_1) == 20);

// x = d * (q - 16), q in 0..31; bit 4 of element j is bit j of qh (little-endian u32).
struct block_q5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[kQK5_0 / 2];
};
static_assert(sizeof(block_q5_0) == 22);

struct block_q5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[kQK5_1 / 2];
};
static_assert(sizeof(block_q5_1) == 24);

struct block_q8_0 {
  uint16_t d;
  int8_t qs[kQK8_0];
};
static_assert(sizeof(block_q8_0) == 34);

// s = d * sum(qs): precomputed for dot products against q4_1/q5_1 style blocks.
struct block_q8_1 {
  uint16_t d;
  uint16_t s;
  int8_t qs[kQK8_1];
};
static_assert(sizeof(block_q8_1) == 36);

// 16 groups of 16; scales[j] low nibble = scale, high nibble = min, both times d / dmin.
struct block_q2_K {
  uint8_t scales[kQK_K / 16];
  uint8_t qs[kQK_K / 4];
  uint16_t d;
  uint16_t dmin;
};
static_assert(sizeof(block_q2_K) == 84);

// 16 groups of 16 with signed 6-bit scales (packed into 12 bytes) and 3-bit quants
// (2 low bits in qs, the high bit in hmask).
struct block_q3_K {
  uint8_t hmask[kQK_K / 8];
  uint8_t qs[kQK_K / 4];
  uint8_t scales[12];
  uint16_t d;
};
static_assert(sizeof(block_q3_K) == 110);

// 8 groups of 32 with 6-bit scales and mins.
struct block_q4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleSize];
  uint8_t qs[kQK_K / 2];
};
static_assert(sizeof(block_q4_K) == 144);

struct block_q5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleSize];
  uint8_t qh[kQK_K / 8];
  uint8_t qs[kQK_K / 2];
};
static_assert(sizeof(block_q5_K) == 176);

// 16 groups of 16 with signed 8-bit scales; 6-bit quants (low 4 in ql, high 2 in qh).
struct block_q6_K {
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  uint16_t d;
};
static_assert(sizeof(block_q6_K) == 210);

// Activation format for K-quant dot products; d is a full float.
struct block_q8_K {
  float d;
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];  // sums of qs in groups of 16
};
static_assert(sizeof(block_q8_K) == 292);

}  // namespace minnow
