#pragma once
// Short names for the GGUF blocks the kernels read and the int8 activation blocks they consume
// (ggml's Q8_0 / Q8_1 / Q8_K), plus scale unpacking shared by the reference and SIMD kernels.
#include <cstdint>
#include <cstring>

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

// As 4 little-endian words: scales 0-3, scales 4-7, mins 0-3, mins 4-7.
static inline void unpack_scales_mins_k4_words(const uint8_t* s, uint32_t out[4]) {
  // 12 bytes: 6-bit scales 0-3 and mins 0-3 in the low bits of bytes 0-7; scales/mins 4-7
  // in the nibbles of bytes 8-11 with their top 2 bits in the top bits of bytes 0-7.
  uint32_t w[3];
  std::memcpy(w, s, sizeof(w));
  const uint32_t low6 = 0x3f3f3f3f, low4 = 0x0f0f0f0f, low2 = 0x03030303;
  out[0] = w[0] & low6;
  out[1] = (w[2] & low4) | (((w[0] >> 6) & low2) << 4);
  out[2] = w[1] & low6;
  out[3] = ((w[2] >> 4) & low4) | (((w[1] >> 6) & low2) << 4);
}

static inline ScalesMins8 unpack_scales_mins_k4(const uint8_t* s) {
  uint32_t words[4];
  unpack_scales_mins_k4_words(s, words);
  ScalesMins8 out;
  std::memcpy(&out, words, sizeof(out));
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
