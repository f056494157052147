#pragma once
// Short names for the GGUF blocks the kernels read and the int8 activation blocks they consume
// (ggml's Q8_0 / Q8_1 / Q8_K), plus scale unpacking shared by the reference and SIMD kernels.
#include <cstdint>

#include "quant/blocks.h"

namespace minnow::kernels::layout {

inline constexpr int kQK = kQK8_0;    // elements per legacy block
inline constexpr int kQKK = kQK_K;    // elements per K-quant super-block

using Q4_0 = block_q4_0;
using Q4_1 = block_q4_1;
using Q5_0 = block_q5_0;
using Q5_1 = block_q5_1;
using Q8_0 = block_q8_0;
using Q8_1 = block_q8_1;  // s = d * sum(qs)
using Q2_K = block_q2_K;
using Q3_K = block_q3_K;
using Q4_K = block_q4_K;
using Q5_K = block_q5_K;
using Q6_K = block_q6_K;
using Q8_K = block_q8_K;

// The helpers below are `static` so that files built with ISA flags (AVX2 ...) get their own
// copies instead of sharing one the linker could take from an ISA-flagged file.

// The 6-bit scales and mins of Q4_K / Q5_K, unpacked: scales[j], mins[j] for sub-block j < 8.
struct ScalesMins8 { uint8_t scales[8]; uint8_t mins[8]; };

static inline ScalesMins8 unpack_scales_mins_k4(const uint8_t* s) {
  ScalesMins8 out{};
  for (int j = 0; j < 4; ++j) {
    out.scales[j] = s[j] & 63;
    out.mins[j] = s[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    out.scales[j] = uint8_t((s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4));
    out.mins[j] = uint8_t((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
  }
  return out;
}

// The 16 6-bit scales of Q3_K, unpacked and re-centred to [-32, 31].
static inline void unpack_scales_q3_k(const uint8_t* s, int8_t out[16]) {
  for (int j = 0; j < 16; ++j) {
    const int low = j < 8 ? (s[j] & 0xF) : (s[j - 8] >> 4);
    const int high = (s[8 + (j % 4)] >> (2 * (j / 4))) & 3;
    out[j] = int8_t((low | (high << 4)) - 32);
  }
}

}  // namespace minnow::kernels::layout
