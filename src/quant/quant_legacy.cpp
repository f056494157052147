// The 32-element block formats: q4_0, q4_1, q5_0, q5_1, q8_0, q8_1.
// Quantizers follow ggml's reference rounding exactly (truncation of x + 0.5 style offsets for
// 4/5-bit, roundf for 8-bit), since GGUF files we write must be byte-identical to llama.cpp's.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "quant/quant_impl.h"
#include "util/fp16.h"

namespace minnow::quant_detail {
namespace {

// ggml converts with a plain C cast to a narrow integer type, which on every target we run goes
// through a 32-bit truncation first; spell that out so out-of-range values behave the same.
inline int trunc_i8(float v) { return static_cast<int8_t>(static_cast<int32_t>(v)); }
inline int trunc_u8(float v) { return static_cast<uint8_t>(static_cast<int32_t>(v)); }

// Value with the largest magnitude (first one on ties), as the symmetric formats scale by it.
inline float signed_absmax(const float* x, int n) {
  float amax = 0.0f;
  float max = 0.0f;
  for (int j = 0; j < n; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

inline void min_max(const float* x, int n, float& min, float& max) {
  min = FLT_MAX;
  max = -FLT_MAX;
  for (int j = 0; j < n; ++j) {
    if (x[j] < min) min = x[j];
    if (x[j] > max) max = x[j];
  }
}

inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void store_u32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, sizeof v); }

}  // namespace

void dequantize_q4_0(const block_q4_0* x, float* y, int64_t n) {
  constexpr int half = kQK4_0 / 2;
  for (int64_t b = 0; b < n / kQK4_0; ++b, y += kQK4_0) {
    const float d = fp16_to_f32(x[b].d);
    for (int j = 0; j < half; ++j) {
      y[j] = float((x[b].qs[j] & 0x0F) - 8) * d;
      y[j + half] = float((x[b].qs[j] >> 4) - 8) * d;
    }
  }
}

void dequantize_q4_1(const block_q4_1* x, float* y, int64_t n) {
  constexpr int half = kQK4_1 / 2;
  for (int64_t b = 0; b < n / kQK4_1; ++b, y += kQK4_1) {
    const float d = fp16_to_f32(x[b].d);
    const float m = fp16_to_f32(x[b].m);
    for (int j = 0; j < half; ++j) {
      y[j] = float(x[b].qs[j] & 0x0F) * d + m;
      y[j + half] = float(x[b].qs[j] >> 4) * d + m;
    }
  }
}

void dequantize_q5_0(const block_q5_0* x, float* y, int64_t n) {
  constexpr int half = kQK5_0 / 2;
  for (int64_t b = 0; b < n / kQK5_0; ++b, y += kQK5_0) {
    const float d = fp16_to_f32(x[b].d);
    const uint32_t qh = load_u32(x[b].qh);
    for (int j = 0; j < half; ++j) {
      const int hi0 = int((qh >> j) & 1) << 4;
      const int hi1 = int((qh >> (j + half)) & 1) << 4;
      y[j] = float(((x[b].qs[j] & 0x0F) | hi0) - 16) * d;
      y[j + half] = float(((x[b].qs[j] >> 4) | hi1) - 16) * d;
    }
  }
}

void dequantize_q5_1(const block_q5_1* x, float* y, int64_t n) {
  constexpr int half = kQK5_1 / 2;
  for (int64_t b = 0; b < n / kQK5_1; ++b, y += kQK5_1) {
    const float d = fp16_to_f32(x[b].d);
    const float m = fp16_to_f32(x[b].m);
    const uint32_t qh = load_u32(x[b].qh);
    for (int j = 0; j < half; ++j) {
      const int hi0 = int((qh >> j) & 1) << 4;
      const int hi1 = int((qh >> (j + half)) & 1) << 4;
      y[j] = float((x[b].qs[j] & 0x0F) | hi0) * d + m;
      y[j + half] = float((x[b].qs[j] >> 4) | hi1) * d + m;
    }
  }
}

void dequantize_q8_0(const block_q8_0* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK8_0; ++b, y += kQK8_0) {
    const float d = fp16_to_f32(x[b].d);
    for (int j = 0; j < kQK8_0; ++j) y[j] = float(x[b].qs[j]) * d;
  }
}

void dequantize_q8_1(const block_q8_1* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK8_1; ++b, y += kQK8_1) {
    const float d = fp16_to_f32(x[b].d);
    for (int j = 0; j < kQK8_1; ++j) y[j] = float(x[b].qs[j]) * d;
  }
}

void quantize_q4_0(const float* x, block_q4_0* y, int64_t n) {
  constexpr int half = kQK4_0 / 2;
  for (int64_t b = 0; b < n / kQK4_0; ++b, x += kQK4_0) {
    const float d = signed_absmax(x, kQK4_0) / -8;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = f32_to_fp16(d);
    for (int j = 0; j < half; ++j) {
      const int q0 = std::min(15, trunc_i8(x[j] * id + 8.5f));
      const int q1 = std::min(15, trunc_i8(x[j + half] * id + 8.5f));
      y[b].qs[j] = uint8_t(q0 | (q1 << 4));
    }
  }
}

void quantize_q4_1(const float* x, block_q4_1* y, int64_t n) {
  constexpr int half = kQK4_1 / 2;
  for (int64_t b = 0; b < n / kQK4_1; ++b, x += kQK4_1) {
    float min, max;
    min_max(x, kQK4_1, min, max);
    const float d = (max - min) / 15;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = f32_to_fp16(d);
    y[b].m = f32_to_fp16(min);
    for (int j = 0; j < half; ++j) {
      const int q0 = std::min(15, trunc_i8((x[j] - min) * id + 0.5f));
      const int q1 = std::min(15, trunc_i8((x[j + half] - min) * id + 0.5f));
      y[b].qs[j] = uint8_t(q0 | (q1 << 4));
    }
  }
}

void quantize_q5_0(const float* x, block_q5_0* y, int64_t n) {
  constexpr int half = kQK5_0 / 2;
  for (int64_t b = 0; b < n / kQK5_0; ++b, x += kQK5_0) {
    const float d = signed_absmax(x, kQK5_0) / -16;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = f32_to_fp16(d);
    uint32_t qh = 0;
    for (int j = 0; j < half; ++j) {
      const uint8_t q0 = uint8_t(std::min(31, trunc_i8(x[j] * id + 16.5f)));
      const uint8_t q1 = uint8_t(std::min(31, trunc_i8(x[j + half] * id + 16.5f)));
      y[b].qs[j] = uint8_t((q0 & 0x0F) | ((q1 & 0x0F) << 4));
      qh |= uint32_t((q0 >> 4) & 1) << j;
      qh |= uint32_t((q1 >> 4) & 1) << (j + half);
    }
    store_u32(y[b].qh, qh);
  }
}

void quantize_q5_1(const float* x, block_q5_1* y, int64_t n) {
  constexpr int half = kQK5_1 / 2;
  for (int64_t b = 0; b < n / kQK5_1; ++b, x += kQK5_1) {
    float min, max;
    min_max(x, kQK5_1, min, max);
    const float d = (max - min) / 31;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = f32_to_fp16(d);
    y[b].m = f32_to_fp16(min);
    uint32_t qh = 0;
    for (int j = 0; j < half; ++j) {
      const int q0 = trunc_u8((x[j] - min) * id + 0.5f);
      const int q1 = trunc_u8((x[j + half] - min) * id + 0.5f);
      y[b].qs[j] = uint8_t((q0 & 0x0F) | ((q1 & 0x0F) << 4));
      qh |= uint32_t((q0 >> 4) & 1) << j;
      qh |= uint32_t((q1 >> 4) & 1) << (j + half);
    }
    store_u32(y[b].qh, qh);
  }
}

namespace {
// Shared by q8_0 and q8_1: symmetric 8-bit with d = amax / 127 and round-half-away-from-zero.
inline float quantize_8bit(const float* x, int8_t* qs, int n) {
  float amax = 0.0f;
  for (int j = 0; j < n; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  for (int j = 0; j < n; ++j) qs[j] = int8_t(trunc_i8(std::round(x[j] * id)));
  return d;
}
}  // namespace

void quantize_q8_0(const float* x, block_q8_0* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK8_0; ++b, x += kQK8_0) {
    y[b].d = f32_to_fp16(quantize_8bit(x, y[b].qs, kQK8_0));
  }
}

void quantize_q8_1(const float* x, block_q8_1* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK8_1; ++b, x += kQK8_1) {
    const float d = quantize_8bit(x, y[b].qs, kQK8_1);
    int sum = 0;
    for (int j = 0; j < kQK8_1; ++j) sum += y[b].qs[j];
    y[b].d = f32_to_fp16(d);
    y[b].s = f32_to_fp16(float(sum) * d);
  }
}

}  // namespace minnow::quant_detail
