#pragma once
// Row-interleaved ("packed") Q4_K: super-block j of 8 rows in one block of exactly the bytes of
// the 8 plain blocks, regrouped so that the AVX2 GEMM reads 4 elements of every row with one
// load and unpacks the 6-bit sub-block scales and mins of all 8 rows with a few vector ops.
// Its GEMM consumes plain Q8_K activations (packed::q8k_row_bytes).
#include <cstddef>
#include <cstdint>

#include "kernels/layout.h"
#include "kernels/packed.h"

namespace minnow::kernels::packed {

inline constexpr int kQ4Subs = layout::kQKK / 32;  // 32-element sub-blocks per super-block
inline constexpr int kQ4Chunks = 4;                // 32-byte chunks per sub-block

// 64 six-bit values v[8 s + r] (sub-block s, row r) in 48 bytes. Byte k < 32 holds v[k] in
// bits 0-5 and bits 4-5 of v[32 + k] in bits 6-7; byte 32 + i (i < 16) holds bits 0-3 of
// v[32 + i] in its low nibble and of v[48 + i] in its high nibble. So the first 32 values
// are one AND away and the other 32 take a shift, two ANDs and an OR.
struct SixBit64 {
  uint8_t b[48];
};

// Super-block j of 8 rows of Q4_K. q[s][c] is a lane-of-rows vector: byte 4 r + i holds
// element 4 c + i of row r's sub-block s in its low nibble and element 16 + 4 c + i in its
// high nibble. d and dmin are the rows' fp16 scales, in row order. scales and mins hold the
// 6-bit values at the indices below.
struct Q4_Kx8 {
  uint16_t d[kRows];
  uint16_t dmin[kRows];
  SixBit64 scales;
  SixBit64 mins;
  uint8_t q[kQ4Subs][kQ4Chunks][kRows * 4];
};
static_assert(sizeof(Q4_Kx8) == kRows * sizeof(layout::Q4_K));

// Scales in sub-block order: v[8 s + r].
constexpr int q4_k_x8_scale_index(int sub, int row) { return kRows * sub + row; }

// Mins as four runs of 16 bytes; run v pairs, for each row r, the mins of sub-blocks 2p and
// 2p + 1 (bytes 2 r and 2 r + 1), where p = v % 2 + 2 * ((v / 2) ^ (r / 4)): rows 0-3 and
// rows 4-7 take their pairs in different orders, matching the two 128-bit halves of the
// activations' sub-block sums in the AVX2 GEMM.
constexpr int q4_k_x8_min_index(int sub, int row) {
  const int pair = sub / 2;
  const int run = 2 * ((pair / 2) ^ (row / 4)) + pair % 2;
  return 16 * run + 2 * row + sub % 2;
}

void pack_q4_k_x8(const uint8_t* src, size_t src_row_bytes, int64_t k, uint8_t* dst);
void unpack_row_q4_k_x8(const uint8_t* group, int row, int64_t k, float* out);

}  // namespace minnow::kernels::packed
