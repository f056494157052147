#pragma once
// Per-type row codecs behind quant.h's dispatch. Internal to src/quant.
#include <cstdint>
#include <cstring>

#include "quant/blocks.h"

namespace minnow::quant_detail {

// Round to nearest with ties to even, by adding 1.5 * 2^23 and reading the mantissa; valid
// for |x| < 2^22. The K-quant reference uses exactly this trick, so bit-exactness needs it too.
inline int nearest_int(float x) {
  const float biased = x + 12582912.f;
  int32_t bits;
  std::memcpy(&bits, &biased, sizeof bits);
  return (bits & 0x007fffff) - 0x00400000;
}

void dequantize_q4_0(const block_q4_0* x, float* y, int64_t n);
void dequantize_q4_1(const block_q4_1* x, float* y, int64_t n);
void dequantize_q5_0(const block_q5_0* x, float* y, int64_t n);
void dequantize_q5_1(const block_q5_1* x, float* y, int64_t n);
void dequantize_q8_0(const block_q8_0* x, float* y, int64_t n);
void dequantize_q8_1(const block_q8_1* x, float* y, int64_t n);
void quantize_q4_0(const float* x, block_q4_0* y, int64_t n);
void quantize_q4_1(const float* x, block_q4_1* y, int64_t n);
void quantize_q5_0(const float* x, block_q5_0* y, int64_t n);
void quantize_q5_1(const float* x, block_q5_1* y, int64_t n);
void quantize_q8_0(const float* x, block_q8_0* y, int64_t n);
void quantize_q8_1(const float* x, block_q8_1* y, int64_t n);

void dequantize_q2_K(const block_q2_K* x, float* y, int64_t n);
void dequantize_q3_K(const block_q3_K* x, float* y, int64_t n);
void dequantize_q4_K(const block_q4_K* x, float* y, int64_t n);
void dequantize_q5_K(const block_q5_K* x, float* y, int64_t n);
void dequantize_q6_K(const block_q6_K* x, float* y, int64_t n);
void dequantize_q8_K(const block_q8_K* x, float* y, int64_t n);
void quantize_q2_K(const float* x, block_q2_K* y, int64_t n);
void quantize_q3_K(const float* x, block_q3_K* y, int64_t n);
void quantize_q4_K(const float* x, block_q4_K* y, int64_t n);
void quantize_q5_K(const float* x, block_q5_K* y, int64_t n);
void quantize_q6_K(const float* x, block_q6_K* y, int64_t n);
void quantize_q8_K(const float* x, block_q8_K* y, int64_t n);

}  // namespace minnow::quant_detail
