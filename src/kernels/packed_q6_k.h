#pragma once
// Row-interleaved ("packed") Q6_K: super-block j of 8 rows in one block of exactly the bytes of
// the 8 plain blocks, re-encoded so that the AVX2 GEMM decodes 6-bit values with few ALU ops.
// Its GEMM consumes plain Q8_K activations (packed::q8k_row_bytes).
#include <cstddef>
#include <cstdint>

#include "kernels/layout.h"
#include "kernels/packed.h"

namespace minnow::kernels::packed {

// Groups of 16 elements per super-block, and 4-element "chunks" per group.
inline constexpr int kQ6Groups = layout::kQKK / 16;
inline constexpr int kQ6ChunksPerGroup = 4;

// Super-block j of 8 rows of Q6_K. Chunk c (0..3) of group g is elements 16 g + 4 c + i
// (i < 4) of every row, as a 32-byte lane-of-rows vector: byte 4 r + i belongs to row r.
// q[g][v] holds, byte by byte, the unsigned 6-bit value of chunk v (v < 3) in bits 0-5 and
// two bits of chunk 3 in bits 6-7: bits 4-5 of chunk 3 in v = 0, bits 2-3 in v = 1, bits 0-1
// in v = 2. So chunks 0-2 are one AND away and chunk 3 is gathered from the three top pairs.
// scales[p] holds the int8 scales of groups 2p and 2p+1 as 16 bytes: rows 0-3 of group 2p,
// rows 0-3 of group 2p+1, rows 4-7 of group 2p, rows 4-7 of group 2p+1; widened to int16,
// each 128-bit half then pairs its 4 rows of both groups.
struct Q6_Kx8 {
  uint8_t q[kQ6Groups][3][kRows * kQ6ChunksPerGroup];
  int8_t scales[kQ6Groups / 2][2 * kRows];
  uint16_t d[kRows];
};
static_assert(sizeof(Q6_Kx8) == kRows * sizeof(layout::Q6_K));

// Byte of Q6_Kx8::scales[p] holding row r's scale of group 2p + s (s < 2).
constexpr int q6_k_x8_scale_byte(int r, int s) { return 8 * (r / 4) + 4 * s + r % 4; }

void pack_q6_k_x8(const uint8_t* src, size_t src_row_bytes, int64_t k, uint8_t* dst);
void unpack_row_q6_k_x8(const uint8_t* group, int row, int64_t k, float* out);

}  // namespace minnow::kernels::packed
