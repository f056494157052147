#pragma once
// aarch64 activation conversion, byte-identical to the reference quantizers on aarch64, which
// follow llama.cpp's ARM NEON path: Q8_0 / Q8_1 scale by 1/(amax/127) (two roundings, unlike
// x86's 127/amax) and round to nearest even (vcvtnq); Q8_K as ggml's quantize_row_q8_K_ref.
// Include after arm_common.h.
#include "kernels/arm/arm_common.h"

namespace minnow::kernels::arm {
namespace {

// 8 int32x4 (each in [-127, 127]) -> 32 int8 in element order.
inline void store_i8x32(const int32x4_t q[8], int8_t* out) {
  for (int h = 0; h < 2; ++h) {
    const int16x8_t lo = vcombine_s16(vqmovn_s32(q[4 * h]), vqmovn_s32(q[4 * h + 1]));
    const int16x8_t hi = vcombine_s16(vqmovn_s32(q[4 * h + 2]), vqmovn_s32(q[4 * h + 3]));
    vst1q_s8(out + 16 * h, vcombine_s8(vqmovn_s16(lo), vqmovn_s16(hi)));
  }
}

// Quantizes one 32-element block; returns d and the quantized values' sums by lane (lane l:
// the values of elements i with i % 4 == l).
struct Block32 {
  float d;
  int32x4_t lane_sums;
  int sum() const { return vaddvq_s32(lane_sums); }
};

inline Block32 quantize_block32(const float* x, int8_t* qs) {
  float32x4_t v[8];
  float32x4_t m = vdupq_n_f32(0.0f);
  for (int i = 0; i < 8; ++i) {
    v[i] = vld1q_f32(x + 4 * i);
    m = vmaxq_f32(m, vabsq_f32(v[i]));
  }
  const float amax = vmaxvq_f32(m);
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  int32x4_t q[8];
  int32x4_t sum = vdupq_n_s32(0);
  for (int i = 0; i < 8; ++i) {
    q[i] = vcvtnq_s32_f32(vmulq_n_f32(v[i], id));
    sum = vaddq_s32(sum, q[i]);
  }
  store_i8x32(q, qs);
  return {d, sum};
}

void quantize_q8_0(const float* x, void* out, int64_t k) {
  auto* y = static_cast<L::Q8_0*>(out);
  for (int64_t ib = 0; ib < k / L::kQK; ++ib) y[ib].d = float_to_half(quantize_block32(x + ib * L::kQK, y[ib].qs).d);
}

void quantize_q8_1(const float* x, void* out, int64_t k) {
  auto* y = static_cast<L::Q8_1*>(out);
  for (int64_t ib = 0; ib < k / L::kQK; ++ib) {
    const Block32 b = quantize_block32(x + ib * L::kQK, y[ib].qs);
    y[ib].d = float_to_half(b.d);
    y[ib].s = float_to_half(b.d * float(b.sum()));
  }
}

void quantize_q8_k(const float* x, void* out, int64_t k) {
  auto* y = static_cast<L::Q8_K*>(out);
  for (int64_t ib = 0; ib < k / L::kQKK; ++ib, x += L::kQKK) {
    L::Q8_K& b = y[ib];
    float32x4_t m = vdupq_n_f32(0.0f);
    for (int i = 0; i < L::kQKK; i += 4) m = vmaxq_f32(m, vabsq_f32(vld1q_f32(x + i)));
    const float amax = vmaxvq_f32(m);
    if (amax == 0.0f) {
      std::memset(&b, 0, sizeof(b));
      continue;
    }
    // The scale comes from the first element of largest magnitude, with its sign.
    float max = 0.0f;
    for (int i = 0; i < L::kQKK; ++i) {
      if (__builtin_fabsf(x[i]) == amax) {
        max = x[i];
        break;
      }
    }
    const float iscale = -127.0f / max;
    const int32x4_t top = vdupq_n_s32(127);
    for (int i = 0; i < L::kQKK; i += 32) {
      int32x4_t q[8];
      for (int j = 0; j < 8; ++j) q[j] = vminq_s32(vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(x + i + 4 * j), iscale)), top);
      store_i8x32(q, b.qs + i);
      b.bsums[i / 16] = int16_t(vaddvq_s32(vaddq_s32(vaddq_s32(q[0], q[1]), vaddq_s32(q[2], q[3]))));
      b.bsums[i / 16 + 1] = int16_t(vaddvq_s32(vaddq_s32(vaddq_s32(q[4], q[5]), vaddq_s32(q[6], q[7]))));
    }
    b.d = 1.0f / iscale;
  }
}

void copy_f32(const float* x, void* out, int64_t k) { std::memcpy(out, x, size_t(k) * sizeof(float)); }

void convert_f16(const float* x, void* out, int64_t k) {
  auto* y = static_cast<uint16_t*>(out);
  int64_t i = 0;
  for (; i + 4 <= k; i += 4) vst1_u16(y + i, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(x + i))));
  for (; i < k; ++i) y[i] = float_to_half(x[i]);
}

// Round to nearest even on the upper 16 bits; NaNs keep their top bits and turn quiet.
inline uint32x4_t to_bf16_bits(uint32x4_t v) {
  const uint32x4_t odd = vandq_u32(vshrq_n_u32(v, 16), vdupq_n_u32(1));
  const uint32x4_t rounded = vshrq_n_u32(vaddq_u32(v, vaddq_u32(odd, vdupq_n_u32(0x7fff))), 16);
  const uint32x4_t quiet = vorrq_u32(vshrq_n_u32(v, 16), vdupq_n_u32(64));
  const uint32x4_t is_nan = vcgtq_u32(vandq_u32(v, vdupq_n_u32(0x7fffffff)), vdupq_n_u32(0x7f800000));
  return vbslq_u32(is_nan, quiet, rounded);
}

void convert_bf16(const float* x, void* out, int64_t k) {
  auto* y = static_cast<uint16_t*>(out);
  int64_t i = 0;
  for (; i + 4 <= k; i += 4) vst1_u16(y + i, vmovn_u32(to_bf16_bits(vreinterpretq_u32_f32(vld1q_f32(x + i)))));
  for (; i < k; ++i) {
    uint32_t bits;
    std::memcpy(&bits, x + i, sizeof(bits));
    y[i] = uint16_t(vgetq_lane_u32(to_bf16_bits(vdupq_n_u32(bits)), 0));
  }
}

}  // namespace
}  // namespace minnow::kernels::arm
